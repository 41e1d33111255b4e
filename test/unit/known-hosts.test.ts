// known_hosts as OpenSSH reads it: each line shape against the name a host is looked up by.
import test from 'ava'
import { createHmac } from 'node:crypto'
import { hostPattern, matchesPattern, parseKnownHosts, verifyHostKey } from '../../src/engine/known-hosts.ts'

const key = (n: number): Buffer => {
  const type = Buffer.from('ssh-ed25519')
  const blob = Buffer.alloc(32, n)
  const out = Buffer.alloc(4 + type.length + 4 + blob.length)
  out.writeUInt32BE(type.length, 0)
  type.copy(out, 4)
  out.writeUInt32BE(blob.length, 4 + type.length)
  blob.copy(out, 8 + type.length)
  return out
}
const line = (hosts: string, n: number, marker = ''): string => `${marker ? `@${marker} ` : ''}${hosts} ssh-ed25519 ${key(n).toString('base64')}`
const hashed = (name: string): string => {
  const salt = Buffer.alloc(20, 7)
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`
}

const matching: [string, string, boolean][] = [
  ['hydra', 'hydra', true],
  ['HYDRA', 'hydra', true],
  ['plexus,hydra', 'hydra', true],
  ['hydra', '[hydra]:2222', false],
  ['[hydra]:2222', '[hydra]:2222', true],
  ['[hydra]:2222', 'hydra', false],
  ['*.lab', 'hydra.lab', true],
  ['*.lab', 'lab', false],
  ['hydr?', 'hydra', true],
  ['hydr?', 'hydraa', false],
  ['10.213.8.*', '10.213.8.11', true],
  ['10.213.8.*,!10.213.8.12', '10.213.8.12', false],
  ['!10.213.8.12,10.213.8.*', '10.213.8.11', true],
  ['!hydra', 'hydra', false],
  ['!hydra', 'plexus', false],
  ['[*.lab]:2222', '[hydra.lab]:2222', true],
  ['a.b', 'aXb', false],
  [hashed('hydra'), 'hydra', true],
  [hashed('hydra'), 'plexus', false],
  [hashed('[hydra]:2222'), '[hydra]:2222', true],
  [hashed('[hydra]:2222'), 'hydra', false],
]

for (const [patterns, name, expected] of matching) {
  test(`${patterns} ${expected ? 'matches' : 'does not match'} ${name}`, (t) => {
    t.is(matchesPattern(patterns, name), expected)
  })
}

test('hostPattern is the name OpenSSH looks up: [addr]:port unless port 22', (t) => {
  t.is(hostPattern('hydra', 22), 'hydra')
  t.is(hostPattern('hydra', 2222), '[hydra]:2222')
})

const verdicts: [string, string[], string, number, ReturnType<typeof verifyHostKey>['status']][] = [
  ['a listed key is known', [line('hydra', 1)], 'hydra', 1, 'known'],
  ['another key for the host is a change', [line('hydra', 1)], 'hydra', 2, 'changed'],
  ['an unlisted host is unknown', [line('plexus', 1)], 'hydra', 1, 'unknown'],
  ['a revoked key is refused even though it is also listed as known', [line('hydra', 1), line('*', 1, 'revoked')], 'hydra', 1, 'revoked'],
  ['a revoked key for a host not otherwise listed is revoked, not unknown', [line('hydra', 1, 'revoked')], 'hydra', 1, 'revoked'],
  ['revoking one key leaves the others', [line('hydra', 1), line('hydra', 2, 'revoked')], 'hydra', 1, 'known'],
  ['a cert-authority alone cannot vouch for a plain key', [line('*.lab', 9, 'cert-authority')], 'hydra.lab', 1, 'certificate'],
  ['a cert-authority does not hide a plain known key', [line('*.lab', 9, 'cert-authority'), line('hydra.lab', 1)], 'hydra.lab', 1, 'known'],
  ['a cert-authority for other hosts is ignored', [line('*.other', 9, 'cert-authority')], 'hydra.lab', 1, 'unknown'],
  ['a hashed entry on a port', [`${hashed('[10.0.0.1]:2222')} ssh-ed25519 ${key(1).toString('base64')}`], '[10.0.0.1]:2222', 1, 'known'],
  ['a negated host is not known by the wildcard', [line('*,!hydra', 1)], 'hydra', 1, 'unknown'],
  ['unknown markers are skipped as OpenSSH skips them', [line('hydra', 1, 'future')], 'hydra', 1, 'unknown'],
]

for (const [title, lines, name, presented, status] of verdicts) {
  test(`verdict: ${title}`, (t) => {
    t.is(verifyHostKey(parseKnownHosts(`# comment\n${lines.join('\n')}\n`), name, key(presented)).status, status)
  })
}
