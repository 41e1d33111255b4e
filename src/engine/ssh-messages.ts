// What the CLI says when an SSH login fails: the host unreachable, a login refused, a host key unknown or changed.
import type { Host } from '../inventory/types.ts'
import { fingerprint, keyTypeOf, type HostKeyVerdict } from './known-hosts.ts'

export type Hop = Pick<Host, 'name' | 'address' | 'port' | 'user'>

export function describeConnectFailure(host: Hop, error: Error & { code?: string; level?: string }): string {
  const where = `${host.user}@${host.address}:${host.port}`
  if (error.code === 'ECONNREFUSED') return `unreachable: connection refused by ${where} (is sshd running?)`
  if (error.code === 'EHOSTUNREACH' || error.code === 'ENETUNREACH') return `unreachable: no route to ${where}`
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') return `unreachable: cannot resolve ${host.address}`
  if (/Timed out/i.test(error.message)) return `unreachable: no SSH answer from ${where} in time`
  // ssh2's words when the socket closes with the login under way: sshd let the connection in, then refused the account
  if (/No response from server/.test(error.message))
    return (
      `unreachable: ${where} closed the connection during login: sshd refused this account before it got in ` +
      `(while a host boots, /run/nologin admits root only; also AllowUsers/DenyUsers, a locked or expired account, PAM). ` +
      `The host's sshd log (journalctl -u ssh) says which`
    )
  if (error.level === 'client-authentication')
    return `authentication failed for ${where}: check ansible_user, ansible_ssh_private_key_file, ~/.ssh/config and ssh-agent (no key or password offered was accepted)`
  return `unreachable: ${error.message} (${where})`
}

/** Where OpenSSH's sshd keeps a host key of this type (ssh-ed25519: ed25519, ecdsa-sha2-*: ecdsa, rsa: rsa). */
const hostKeyFile = (blob: Buffer) => `/etc/ssh/ssh_host_${keyTypeOf(blob).replace(/^ssh-|-.*$/g, '')}_key.pub`

export function hostKeyMessage(host: Hop, name: string, verdict: HostKeyVerdict, presented: Buffer, file: string): string {
  if (verdict.status === 'unknown')
    return (
      `host key not known: ${keyTypeOf(presented)} ${fingerprint(presented)} is not in ${file}. ` +
      `Check it on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then add it with ` +
      `ssh-keyscan -p ${host.port} ${host.address} >> ${file}, or re-run with --trust-new-host-keys to pin it.`
    )
  if (verdict.status === 'changed') {
    const lines = verdict.expected.map((e) => `${file}:${e.line}`).join(', ')
    const who = host.name === name ? name : `${host.name} (${name})`
    // the confirmation pins exactly the key checked on the console: a key swapped in later is refused again
    const pin = `${name} ${keyTypeOf(presented)} ${presented.toString('base64')}`
    return (
      `HOST KEY CHANGED for ${who}: it presented ${keyTypeOf(presented)} ${fingerprint(presented)}, ` +
      `which does not match ${lines}. This may be an attack, or the host was reinstalled. ` +
      `Check the fingerprint on the host's console (ssh-keygen -lf ${hostKeyFile(presented)}); ` +
      `only if it is the same, confirm the new key and run again: ssh-keygen -R '${name}' -f ${file} && echo '${pin}' >> ${file}`
    )
  }
  if (verdict.status === 'revoked')
    return (
      `host key REVOKED: ${name} presented ${keyTypeOf(presented)} ${fingerprint(presented)}, which ${file}:${verdict.entry.line} marks @revoked. ` +
      `Refused, also with --trust-new-host-keys; the host needs a new key (ssh-keygen -A on the host after removing the old ones).`
    )
  if (verdict.status === 'certificate') {
    const lines = verdict.authorities.map((e) => `${file}:${e.line}`).join(', ')
    return (
      `host key not known: ${lines} trusts a @cert-authority for ${name}, but host certificates are not supported here ` +
      `(the host presented ${keyTypeOf(presented)} ${fingerprint(presented)}). Add the host's own key: ` +
      `ssh-keyscan -p ${host.port} ${host.address} >> ${file} (after checking it on the host).`
    )
  }
  return ''
}
