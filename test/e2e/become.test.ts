// Logging in as an ordinary account and becoming root with sudo, as on most rented servers: with and
// without a sudo password, and refused cleanly when sudo says no. Runs against the lab GFS_LAB_INSTANCE selects.
import test from 'ava'
import { readFileSync } from 'node:fs'
import { lab, labInventoryWith, onHost, requireRoot } from '../helpers/lab.ts'
import { explain, provision, type ProvisionRun } from '../helpers/provision.ts'

const hosts = ['hydra', 'plexus']
const config = '/etc/gfs-writecache/config.json'
const sudoPassword = 'pw-Vb7$unseen "sudo" secret'

/** A login for every lab host with the lab's SSH key; `sudoers` is its line in /etc/sudoers.d (none: no sudo). */
async function addUser(name: string, sudoers?: string, password?: string): Promise<void> {
  const key = readFileSync(`${lab.sshKeyPath}.pub`, 'utf8')
  for (const h of hosts) {
    await onHost(h, `id ${name} >/dev/null 2>&1 || useradd -m -s /bin/sh ${name}; install -d -m 700 -o ${name} -g ${name} /home/${name}/.ssh`)
    await onHost(h, `cat > /home/${name}/.ssh/authorized_keys && chown ${name}: /home/${name}/.ssh/authorized_keys && chmod 600 /home/${name}/.ssh/authorized_keys`, { input: key })
    if (password) await onHost(h, 'chpasswd', { input: `${name}:${password}\n` })
    if (sudoers) await onHost(h, `cat > /etc/sudoers.d/${name} && chmod 440 /etc/sudoers.d/${name} && visudo -cq`, { input: `${sudoers}\n` })
  }
}

/** The lab inventory, logging in as `user` (become defaults to on for a user other than root). */
const inventoryAs = (user: string, becomePassword?: string) =>
  labInventoryWith((inventory) => {
    inventory.all.vars.ansible_user = user
    if (becomePassword !== undefined) inventory.all.vars.ansible_become_password = becomePassword
  })

/** Make the agent's config on hydra differ from what the playbook writes (a trailing blank line). */
async function drift(): Promise<string> {
  const before = await onHost('hydra', `cat ${config}`)
  await onHost('hydra', `printf '\\n' >> ${config}`)
  return before
}

const changed = (run: ProvisionRun, host: string) => run.recap?.hosts[host]?.changed ?? -1

test.before(async () => {
  requireRoot()
  await lab.up({ flavor: 'ready', log: () => {} })
  const run = await provision(['--inventory', lab.inventoryPath], { timeoutMs: 20 * 60_000 })
  if (run.exitCode !== 0) throw new Error(`provisioning the lab as root failed: ${explain(run)}`)
  await addUser('deploy', 'deploy ALL=(ALL:ALL) NOPASSWD: ALL')
  await addUser('admin', 'admin ALL=(ALL:ALL) ALL', sudoPassword)
  await addUser('guest')
})

test.after.always(async () => {
  // whatever a test left, root puts the appliance back as the playbook wants it
  await provision(['--inventory', lab.inventoryPath])
})

test.serial('a host still booting (/run/nologin) refuses a user login: the run says sshd refused the account, not that the host is gone', async (t) => {
  await onHost('hydra', 'echo "System is booting up." > /run/nologin')
  try {
    const run = await provision(['--inventory', inventoryAs('deploy'), '--check', '--limit', 'hydra'])
    t.not(run.exitCode, 0)
    t.regex(run.failures.join('\n'), /closed the connection during login: sshd refused this account.*\/run\/nologin/, explain(run))
  } finally {
    await onHost('hydra', 'rm -f /run/nologin')
  }
})

test.serial('a user with password-less sudo provisions: files written through sudo arrive intact', async (t) => {
  const before = await drift()
  const run = await provision(['--inventory', inventoryAs('deploy')])
  t.is(run.exitCode, 0, explain(run))
  t.true(changed(run, 'hydra') >= 1)
  t.is(await onHost('hydra', `cat ${config}`), before)
  t.is((await onHost('hydra', `stat -c '%U %a' ${config}`)).trim(), 'root 644')
  const again = await provision(['--inventory', inventoryAs('deploy')])
  t.is(again.exitCode, 0, explain(again))
  t.deepEqual(hosts.map((h) => changed(again, h)), [0, 0])
})

test.serial('a user whose sudo asks for a password provisions with ansible_become_password, which is never shown', async (t) => {
  const before = await drift()
  const run = await provision(['--inventory', inventoryAs('admin', sudoPassword), '--verbose'])
  t.is(run.exitCode, 0, explain(run))
  t.is(await onHost('hydra', `cat ${config}`), before)
  t.false(run.stdout.includes('unseen') || run.stderr.includes('unseen'), 'the sudo password appears in the output')
  // the password goes to sudo, never into the command's input, also when sudo does not ask for it
  await drift()
  const nopasswd = await provision(['--inventory', inventoryAs('deploy', sudoPassword)])
  t.is(nopasswd.exitCode, 0, explain(nopasswd))
  t.is(await onHost('hydra', `cat ${config}`), before)
})

test.serial('a wrong sudo password or a user without sudo fails with sudo\'s reason and changes nothing', async (t) => {
  await drift()
  const drifted = await onHost('hydra', `cat ${config}`)
  const wrong = await provision(['--inventory', inventoryAs('admin', 'not the password')])
  t.not(wrong.exitCode, 0)
  t.regex(wrong.failures.join('\n'), /sudo|password/i, explain(wrong))
  const guest = await provision(['--inventory', inventoryAs('guest')])
  t.not(guest.exitCode, 0)
  t.regex(guest.failures.join('\n'), /sudo/i, explain(guest))
  t.is(await onHost('hydra', `cat ${config}`), drifted)
  t.deepEqual(hosts.map((h) => changed(wrong, h)), [0, 0])
})
