// POSIX ACLs travel as their xattrs. gv0's FUSE mount refuses them (EOPNOTSUPP) unless it is mounted
// with `acl`: the entry is then published without them, and the agent says so once.
import { fromBytes, type Bytes } from './paths.ts'
import type { PublishContext } from '../publish/publish-context.ts'
import { setXattrs, type Xattrs } from './xattrs.ts'

export const ACL_XATTRS = ['system.posix_acl_access', 'system.posix_acl_default']

const isAcl = (name: string) => ACL_XATTRS.includes(name)

/** True when an upper entry carries an access or default ACL. */
export function hasAcl(x: Xattrs | null | undefined): boolean {
  return ACL_XATTRS.some((name) => x?.has(name))
}

/** Copies the entry's ACLs onto an open gv0 file or directory; a gv0 without ACL support is reported, not fatal. */
export async function writeAcls(ctx: PublishContext, fd: number, x: Xattrs | null, rel: Bytes): Promise<void> {
  if (!x || !hasAcl(x)) return
  try {
    await setXattrs(fd, x, isAcl)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EOPNOTSUPP') throw err
    ctx.warnOnce(
      'acl',
      `gv0 does not take POSIX ACLs (is it mounted with the acl option?): ${fromBytes(rel)} and any later entries are published without theirs`,
    )
  }
}
