// POSIX ACLs reach gv0 as their system.posix_acl_* xattrs; a gv0 that refuses them is reported once.
import test from 'ava'
import { execFileSync } from 'node:child_process'
import { lstatSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { aclValue, flushAll, forceUmount, onCleanup, sandbox, text } from './helpers.ts'

const [USER_OBJ, USER, GROUP_OBJ, GROUP, MASK, OTHER] = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20]

const setAcl = (path: string, name: 'access' | 'default', value: string) =>
  execFileSync('setfattr', ['-n', `system.posix_acl_${name}`, '-v', value, path])

/** The ACL xattrs of a path, hex-encoded, as getfattr prints them. */
function acls(path: string): string[] {
  const out = execFileSync('getfattr', ['-d', '-m', '^system\\.posix_acl_', '-e', 'hex', '--absolute-names', path], { encoding: 'utf8' })
  return out.split('\n').filter((l) => l.startsWith('system.posix_acl_'))
}

test('access and default ACLs of files and directories arrive in gv0, with the modes they imply', async (t) => {
  const sb = await sandbox(t)
  mkdirSync(join(sb.union, 'team'))
  setAcl(join(sb.union, 'team'), 'access', aclValue([USER_OBJ, 7], [USER, 7, 1234], [GROUP_OBJ, 5], [MASK, 7], [OTHER, 5]))
  setAcl(join(sb.union, 'team'), 'default', aclValue([USER_OBJ, 7], [GROUP_OBJ, 5], [GROUP, 7, 4321], [MASK, 7], [OTHER, 0]))
  writeFileSync(join(sb.union, 'team/plan.txt'), 'inherits the default ACL\n')
  writeFileSync(join(sb.union, 'memo'), 'own ACL\n')
  setAcl(join(sb.union, 'memo'), 'access', aclValue([USER_OBJ, 6], [USER, 6, 1234], [GROUP_OBJ, 4], [MASK, 6], [OTHER, 4]))
  t.is(acls(join(sb.upper, 'team/plan.txt')).length, 1, 'the new file inherited an access ACL in upper')
  const agent = await sb.agent()
  await flushAll(t, agent)
  for (const rel of ['team', 'team/plan.txt', 'memo']) {
    t.deepEqual(acls(join(sb.lower, rel)), acls(join(sb.upper, rel)), `${rel}: same ACLs`)
    t.is(lstatSync(join(sb.lower, rel)).mode, lstatSync(join(sb.upper, rel)).mode, `${rel}: same mode`)
  }
  t.is(acls(join(sb.lower, 'team')).length, 2, 'access and default ACL on the directory')
  t.is(text(join(sb.lower, 'team/plan.txt')), 'inherits the default ACL\n')
  t.deepEqual((await agent.status()).errors, [])
})

test('a gv0 that refuses ACLs (EOPNOTSUPP): everything is published without them, reported once', async (t) => {
  const sb = await sandbox(t, {}, { mount: false })
  // ramfs takes files, owners and modes but no xattrs: like a gluster FUSE mount without `acl`
  execFileSync('mount', ['-t', 'ramfs', 'ramfs', sb.lower])
  onCleanup(sb, () => forceUmount(sb.lower))
  sb.mount()
  mkdirSync(join(sb.union, 'team'))
  setAcl(join(sb.union, 'team'), 'default', aclValue([USER_OBJ, 7], [GROUP_OBJ, 5], [GROUP, 7, 4321], [MASK, 7], [OTHER, 0]))
  writeFileSync(join(sb.union, 'team/plan.txt'), 'plan\n')
  writeFileSync(join(sb.union, 'memo'), 'memo\n')
  setAcl(join(sb.union, 'memo'), 'access', aclValue([USER_OBJ, 6], [USER, 6, 1234], [GROUP_OBJ, 4], [MASK, 6], [OTHER, 4]))
  const agent = await sb.agent()
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'team/plan.txt')), 'plan\n')
  t.is(text(join(sb.lower, 'memo')), 'memo\n')
  t.is(lstatSync(join(sb.lower, 'memo')).mode & 0o777, 0o664, 'mode with the ACL mask as group bits, as in upper')
  writeFileSync(join(sb.union, 'later'), 'later\n')
  setAcl(join(sb.union, 'later'), 'access', aclValue([USER_OBJ, 6], [USER, 6, 1234], [GROUP_OBJ, 4], [MASK, 6], [OTHER, 4]))
  await flushAll(t, agent)
  t.is(text(join(sb.lower, 'later')), 'later\n')
  const s = await agent.status()
  t.is(s.errorsTotal, 1, 'reported once, for all entries and passes')
  t.is(s.errors.length, 1)
  t.regex(s.errors[0].message, /gv0 does not take POSIX ACLs \(is it mounted with the acl option\?\)/)
  t.is(s.pending.entries, 0)
})
