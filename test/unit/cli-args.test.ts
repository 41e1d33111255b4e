import test from 'ava'
import { parseCli } from '../../src/cli/args.ts'
import { limitHosts } from '../../src/cli/main.ts'
import { UsageError } from '../../src/engine/errors.ts'
import { host } from '../helpers/hosts.ts'

test('defaults to the site playbook', (t) => {
  const o = parseCli(['--inventory', 'home'])
  t.is(o.playbook, 'site')
  t.is(o.inventory, 'home')
  t.false(o.check)
})

test('a positional picks the playbook; lists are split on commas', (t) => {
  const o = parseCli(['repair', '-i', 'lab', '--check', '--diff', '--limit', 'hydra,plexus', '--tags', 'gluster', '--json', '-v'])
  t.like(o, { playbook: 'repair', inventory: 'lab', check: true, diff: true, json: true, verbose: true })
  t.deepEqual(o.limit, ['hydra', 'plexus'])
  t.deepEqual(o.tags, ['gluster'])
})

test('usage errors say what is wrong', (t) => {
  t.throws(() => parseCli([]), { instanceOf: UsageError, message: /--inventory is required/ })
  t.throws(() => parseCli(['-i', 'x', '--bogus']), { instanceOf: UsageError, message: /bogus/ })
  t.throws(() => parseCli(['a', 'b', '-i', 'x']), { instanceOf: UsageError, message: /one playbook at a time/ })
  t.throws(() => parseCli(['../etc', '-i', 'x']), { instanceOf: UsageError, message: /not a playbook name/ })
})

test('--help needs no inventory', (t) => {
  t.true(parseCli(['--help']).help)
})

test('--limit keeps inventory order and rejects unknown hosts', (t) => {
  const hosts = [host('hydra'), host('plexus')]
  t.deepEqual(limitHosts(hosts, ['plexus']).map((h) => h.name), ['plexus'])
  t.throws(() => limitHosts(hosts, ['hyrda']), { message: /no host or group hyrda; the appliance has hydra, plexus/ })
})
