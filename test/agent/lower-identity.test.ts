// When gv0's entry counts as "what this host saw": the rule behind every conflict decision.
import test from 'ava'
import { sameLower } from '../../src/agent/fs/entry-identity.ts'
import type { LowerId } from '../../src/agent/fs/entry-identity.ts'

const f = (over: Partial<LowerId> = {}): LowerId => ({ k: 'f', i: 7, s: 10, m: 1000, c: 2000, ...over })

test('sameLower: a ctime change is a change, unless the file has (or had) several names', (t) => {
  const cases: [string, LowerId | null, LowerId | null, boolean][] = [
    ['identical', f(), f(), true],
    ['remote chmod of a single-name file', f({ c: 2001 }), f(), false],
    ['content changed', f({ m: 1001, c: 2001 }), f(), false],
    ['replaced (new inode)', f({ i: 8 }), f(), false],
    ['a name added by our link', f({ c: 2001, n: 2 }), f(), true],
    ['names removed down to one', f({ c: 2001 }), f({ n: 3 }), true],
    ['names added and removed, still linked', f({ c: 2001, n: 2 }), f({ n: 2 }), true],
    ['linked but content changed', f({ m: 1001, c: 2001, n: 2 }), f({ n: 2 }), false],
    ['gone', null, f(), false],
    ['still absent', null, null, true],
  ]
  for (const [name, now, then, same] of cases) t.is(sameLower(now, then), same, name)
})
