// TLS for gluster: the controller's CA issues a certificate per host, hosts install it, glusterd and
// volume gv0 accept only peers and clients with a certificate from that CA (and only the inventory's names).
import { createHash } from 'node:crypto'
import { isIP } from 'node:net'
import { basename, extname } from 'node:path'
import { put, sh } from '../engine/command.ts'
import { change, changes, changesOr, noop, refuse, task, type Task, type TaskContext } from '../engine/task.ts'
import { fileContent } from '../facts/files.ts'
import { volumeInfo, volumeOptions } from '../facts/gluster.ts'
import { gluster } from '../facts/gluster-cli.ts'
import { mountAt } from '../facts/mounts.ts'
import { unitState } from '../facts/systemd.ts'
import { caState, glusterTlsFiles, installedTls, issuedMaterial, opensslDirLinks, resolvedAddresses, secureAccessFile, tlsLinks } from '../facts/tls.ts'
import { releaseGv0 } from './mounts.ts'
import { caDir, createCa, issuableName, issueCertificate, renewDays } from '../tls/ca.ts'
import { AGENT_UNIT } from '../agent/service/units.ts'
import { sameOption } from './gluster.ts'
import { glusterdRestart } from './glusterd-unit.ts'

const tags = ['tls', 'gluster']
const tlsOn = (ctx: TaskContext) => ctx.host.settings.tls || 'tls is off in the inventory'
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** What glusterd reads from secure-access: our certificates are signed directly by the CA. */
export const secureAccessContent = 'option transport.socket.ssl-cert-depth 1\n'

/** The CA exists and every host has a certificate with its name that is valid for more than renewDays. */
export function certificatesIssued(): Task {
  return task({
    name: 'TLS certificates issued',
    tags,
    runOnce: true,
    when: tlsOn,
    facts: (ctx) => ({ ca: caState(caDir(ctx.inventory.file), ctx.hosts.map((h) => h.name).filter(issuableName)) }),
    plan: ({ ca }, ctx) => {
      const dir = caDir(ctx.inventory.file)
      const bad = ctx.hosts.filter((h) => !issuableName(h.name))
      if (bad.length) return refuse(`cannot issue certificates for host names ${bad.map((h) => JSON.stringify(h.name)).join(', ')}: use letters, digits, '.', '-' and '_'`)
      const issue = ctx.hosts.map((h) => {
        const cert = ca.certificates.find((c) => c.name === h.name)
        const why = !ca.ca
          ? undefined
          : !cert
            ? 'none yet'
            : cert.cn !== h.name
              ? `its name is ${JSON.stringify(cert.cn)}`
              : !cert.verified
                ? 'not signed by the current CA'
                : !cert.keyMatches
                  ? 'its key does not match'
                  : !cert.fresh
                    ? `expires within ${renewDays} days`
                    : false
        return why === false ? false : change(`issue a certificate for ${h.name}${why ? ` (${why})` : ''}`, issueCertificate(dir, h.name))
      })
      return changesOr(
        `CA ${dir} has a certificate for ${ctx.hosts.map((h) => h.name).join(', ')} valid for more than ${renewDays} days`,
        !ca.ca && change(`create the CA in ${dir}`, createCa(dir, basename(ctx.inventory.file, extname(ctx.inventory.file)))),
        ...issue,
      )
    },
  })
}

/** The host's certificate, key (mode 0600, never shown) and the CA certificate are where gluster reads them. */
export function certificateInstalled(): Task {
  return task({
    name: 'TLS certificate installed',
    tags,
    when: tlsOn,
    facts: (ctx) => ({ issued: issuedMaterial(caDir(ctx.inventory.file), ctx.host.name), installed: installedTls(), links: tlsLinks() }),
    plan: ({ issued, installed, links }, ctx) => {
      const dir = caDir(ctx.inventory.file)
      if (!issued) return refuse(`no certificate issued for ${ctx.host.name} in ${dir}`)
      const differs = (path: string, content: string) => installed[path] !== sha256(content)
      // A host that already trusts another CA was set up from another copy of the inventory: re-keying it
      // would lock out every host still holding the old certificates. Never do that by accident.
      if (installed[glusterTlsFiles.ca] && differs(glusterTlsFiles.ca, issued.ca))
        return refuse(
          `${ctx.host.name} already trusts another CA than ${dir} (it was provisioned from another copy of ` +
            `this inventory). Put that CA directory beside this inventory, or, to re-key every host on ` +
            `purpose, remove ${glusterTlsFiles.ca} on all of them first.`,
        )
      return changesOr(
        `${glusterTlsFiles.cert} is ${ctx.host.name}'s current certificate`,
        differs(glusterTlsFiles.ca, issued.ca) && change(`install the CA certificate ${glusterTlsFiles.ca}`, put(glusterTlsFiles.ca, issued.ca)),
        differs(glusterTlsFiles.cert, issued.cert) && change(`install ${ctx.host.name}'s certificate ${glusterTlsFiles.cert}`, put(glusterTlsFiles.cert, issued.cert)),
        differs(glusterTlsFiles.key, issued.key.value) &&
          change(`install ${ctx.host.name}'s key ${glusterTlsFiles.key}`, put(glusterTlsFiles.key, issued.key.value, { mode: 0o600, secret: true })),
        ...(['cert', 'key', 'ca'] as const).map(
          (k) => links[opensslDirLinks[k]] !== glusterTlsFiles[k] && change(`link ${opensslDirLinks[k]} to ${glusterTlsFiles[k]}`, sh`mkdir -p /usr/lib/ssl && ln -sfn -- ${glusterTlsFiles[k]} ${opensslDirLinks[k]}`),
        ),
      )
    },
  })
}

/** glusterd talks TLS; an existing host's gluster clients are restarted (docs/rationale.md, "Releasing gv0"). */
export function managementEncryption(): Task {
  return task({
    name: 'gluster management encryption',
    tags,
    when: tlsOn,
    facts: (ctx) => ({
      secure: fileContent(secureAccessFile),
      union: mountAt(ctx.host.settings.unionMount),
      gv0: mountAt(ctx.host.settings.gv0Mount),
      agent: unitState(AGENT_UNIT),
      glusterd: unitState('glusterd.service'),
    }),
    plan: ({ secure, union, gv0, agent, glusterd }, ctx) => {
      if (secure.exists && secure.content === secureAccessContent) return noop(`${secureAccessFile} in place`)
      const s = ctx.host.settings
      const running = glusterd.active === 'active'
      const write = change(`write ${secureAccessFile}`, put(secureAccessFile, secureAccessContent))
      const restart = running && change('restart glusterd with TLS', glusterdRestart)
      // Already on TLS (only the depth line differs): running clients keep working, glusterd re-reads it.
      if (secure.exists) return changes(write, restart)
      return changes(...releaseGv0(s, { agent, union, gv0 }, 'to remount it over TLS'), write, restart)
    },
  })
}

/** Options that make gv0 TLS-only and admit only the inventory's hosts, by certificate name and by address. */
export function wantedTlsOptions(ctx: TaskContext, resolved: string[]): Record<string, string> {
  const literal = ctx.hosts.map((h) => h.address).filter((a) => isIP(a) === 4)
  return {
    'client.ssl': 'on',
    'server.ssl': 'on',
    'auth.ssl-allow': ctx.hosts.map((h) => h.name).join(','),
    'auth.allow': [...new Set([...literal, ...resolved])].sort().join(','),
  }
}

/** gv0's TLS options; turning TLS on for a started volume restarts it so its bricks serve TLS. */
export function volumeTls(): Task {
  return task({
    name: 'gluster volume TLS',
    tags,
    runOnce: true,
    when: tlsOn,
    facts: (ctx) => {
      const names = [...new Set([...ctx.hosts.map((h) => h.name), ...ctx.hosts.map((h) => h.address).filter((a) => !isIP(a))])]
      return { current: volumeOptions(ctx.host.settings.volume), volume: volumeInfo(ctx.host.settings.volume), resolved: resolvedAddresses(names) }
    },
    plan: ({ current, volume, resolved }, ctx) => {
      const name = ctx.host.settings.volume
      if (!volume) return refuse(`volume ${name} does not exist`)
      const wanted = wantedTlsOptions(ctx, resolved)
      const differing = Object.entries(wanted).filter(([k, v]) => !sameOption(current[k], v))
      if (differing.length === 0) return noop(`${name}: TLS only, allowed ${wanted['auth.ssl-allow']} (${wanted['auth.allow']})`)
      const transport = differing.some(([k]) => k === 'client.ssl' || k === 'server.ssl')
      return changes(
        ...differing.map(([k, v]) => change(`set ${k} = ${v} (was ${current[k] ?? 'unset'})`, gluster`volume set ${name} ${k} ${v}`)),
        transport &&
          volume.started &&
          change(`restart ${name} so its bricks serve TLS`, gluster`volume stop ${name}`, gluster`volume start ${name}`),
      )
    },
  })
}
