import test from 'ava'
import { execFileSync } from 'node:child_process'
import { sh } from '../../src/engine/command.ts'
import { quote, raw, shell } from '../../src/engine/quote.ts'
import { Secret } from '../../src/inventory/types.ts'

const hardNames = [
  'plain',
  'with space',
  "it's",
  'double "quoted"',
  '$(touch /tmp/gfs-quote-pwned)',
  '`touch /tmp/gfs-quote-pwned`',
  'semi;colon && rm -rf nothing',
  'new\nline',
  'tab\there',
  'glob * ? [a]',
  '-leading-dash',
  'ünïcødé ✓ 名前',
  '',
  "'",
  '\\back\\slash',
  '${HOME}',
]

for (const name of hardNames) {
  test(`a value arrives intact through sh: ${JSON.stringify(name)}`, (t) => {
    const { script } = shell`printf '%s' ${name}`
    const out = execFileSync('sh', ['-c', script], { encoding: 'utf8' })
    t.is(out, name)
  })
}

test('arrays become separate words', (t) => {
  const { script } = shell`printf '<%s>' ${['a b', 'c', "d'e"]}`
  t.is(execFileSync('sh', ['-c', script], { encoding: 'utf8' }), "<a b><c><d'e>")
})

test('nothing in a value executes', (t) => {
  execFileSync('rm', ['-f', '/tmp/gfs-quote-pwned'])
  for (const name of hardNames) execFileSync('sh', ['-c', shell`echo ${name} >/dev/null`.script])
  t.throws(() => execFileSync('test', ['-e', '/tmp/gfs-quote-pwned']))
})

test('secrets are sent but never displayed', (t) => {
  const command = sh`echo ${new Secret('hunter2')} | chpasswd`
  t.true(command.script.includes('hunter2'))
  t.false(command.display.includes('hunter2'))
  t.is(command.display, 'echo *** | chpasswd')
})

test('raw text is inserted verbatim, numbers and booleans are words', (t) => {
  t.is(shell`a ${raw('|')} b ${3} ${true}`.script, 'a | b 3 true')
})

test('safe words are left unquoted, others single-quoted', (t) => {
  t.is(quote('/data/brick1/gv0'), '/data/brick1/gv0')
  t.is(quote('a b'), "'a b'")
  t.is(quote(''), "''")
})
