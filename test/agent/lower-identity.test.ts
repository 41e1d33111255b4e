// When gv0's entry counts as "what this host saw": the rule behind every conflict decision.
import test from 'ava'
import { sameLower } from '../../src/agent/fs/entry-identity.ts'
import type { LowerId } from '../../src/agent/fs/entry-identity.ts'

const f = (over: Partial<LowerId> = {}): LowerId => ({ kind: 'f', ino: 7, size: 10, mtimeMs: 1000, ctimeMs: 2000, ...over })

test('sameLower: a ctime change is a change, unless the file has (or had) several names', (t) => {
  const cases: [string, LowerId | null, LowerId | null, boolean][] = [
    ['identical', f(), f(), true],
    ['remote chmod of a single-name file', f({ ctimeMs: 2001 }), f(), false],
    ['content changed', f({ mtimeMs: 1001, ctimeMs: 2001 }), f(), false],
    ['replaced (new inode)', f({ ino: 8 }), f(), false],
    ['a name added by our link', f({ ctimeMs: 2001, links: 2 }), f(), true],
    ['names removed down to one', f({ ctimeMs: 2001 }), f({ links: 3 }), true],
    ['names added and removed, still linked', f({ ctimeMs: 2001, links: 2 }), f({ links: 2 }), true],
    ['linked but content changed', f({ mtimeMs: 1001, ctimeMs: 2001, links: 2 }), f({ links: 2 }), false],
    ['gone', null, f(), false],
    ['still absent', null, null, true],
  ]
  for (const [name, now, then, same] of cases) t.is(sameLower(now, then), same, name)
})
