// The fact the gv0 mount task reads after a failed try: systemd's state of the mount unit and the
// gluster client's last error line.
import test from 'ava'
import { glusterClientLog, mountAttempts, parseMountAttempt } from '../../src/facts/mount-attempt.ts'

const clientError = '[2026-11-30 06:53:11.012345 +0000] E [MSGID: 114058] [client-handshake.c:1201:client_query_portmap_cbk] 0-gv0-client-1: failed to get the port number for remote subvolume.'

test('the mount attempt fact: systemd\'s state and the client log\'s last error line, without its prefixes', (t) => {
  const r = (stdout: string, exitCode = 0) => ({ host: 'h', command: 'c', exitCode, stdout, stderr: '', durationMs: 0 })
  t.deepEqual(parseMountAttempt(r(`ActiveState=failed\nResult=exit-code\n${clientError}\n`)), {
    active: 'failed',
    result: 'exit-code',
    lastError: '0-gv0-client-1: failed to get the port number for remote subvolume.',
  })
  t.deepEqual(parseMountAttempt(r('ActiveState=inactive\nResult=success\n')), { active: 'inactive', result: 'success' })
  t.throws(() => parseMountAttempt(r('', 1)))
  t.throws(() => parseMountAttempt(r('Result=success\n')), { message: /no ActiveState/ })
  t.is(glusterClientLog('/gfs/gv0'), '/var/log/glusterfs/gfs-gv0.log')
  t.is(glusterClientLog('/mnt/a/b/'), '/var/log/glusterfs/mnt-a-b.log')
})

test('the mount attempts of many paths in one answer, each path\'s block parsed alike', (t) => {
  const r = (stdout: string, exitCode = 0) => ({ host: 'h', command: 'c', exitCode, stdout, stderr: '', durationMs: 0 })
  const fact = mountAttempts(['/run/gfs-writecache-gv0/1', '/run/gfs-writecache-gv0/2'])
  t.deepEqual(fact.parse(r(`@@ /run/gfs-writecache-gv0/1\nActiveState=active\nResult=success\n@@ /run/gfs-writecache-gv0/2\nActiveState=failed\nResult=timeout\n${clientError}\n`)), {
    '/run/gfs-writecache-gv0/1': { active: 'active', result: 'success' },
    '/run/gfs-writecache-gv0/2': { active: 'failed', result: 'timeout', lastError: '0-gv0-client-1: failed to get the port number for remote subvolume.' },
  })
  t.throws(() => fact.parse(r('@@ /x\n', 1)))
})
