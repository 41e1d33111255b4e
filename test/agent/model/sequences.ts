// Shortest sequences the model test found against the agent as first written (minimise.ts), one per kind
// of contract violation. Each runs as its own test, so a fix shows up by name.
import type { Op } from './generate.ts'

export const SEQUENCES: Record<string, Op[]> = {
  // reclaim unlinked published entries and was killed before saving that: the next start took them for
  // local deletes and removed the directory from gv0, the other host's files in it included
  'a kill inside reclaim deletes published and remote files from gv0': [
    { k: 'create', p: 'a/c/x.txt', n: 1 },
    { k: 'evict', kill: { how: 'reclaim', skip: 2 }, n: 2 },
  ],
  // gv0's a/ became a symlink to a directory outside the volume: the next publish went through it
  'a directory replaced by a symlink in gv0 sends a publish outside the volume': [
    { k: 'create', p: 'a/x.txt', n: 1 },
    { k: 'sleep', ms: 300, n: 2 },
    { k: 'hostile', p: 'a', n: 3 },
    { k: 'append', p: 'a/x.txt', n: 4 },
  ],
  // the union had looked a/y up while missing; the other host created it; a local create went over it
  'a create behind a stale negative dentry overwrites the remote file': [
    { k: 'create', p: 'a/c/x.txt', n: 1 },
    { k: 'rcreate', p: 'a/y', n: 2 },
    { k: 'create', p: 'a/y', n: 3 },
  ],
  // the same through a stale positive dentry: the union still showed the replaced version
  'a write behind a stale positive dentry overwrites the remote replacement': [
    { k: 'create', p: 'a/c/x.txt', n: 1 },
    { k: 'rcreate', p: 'a/c/z.sh', n: 2 },
    { k: 'truncate', p: 'a/c/z.sh', n: 3 },
  ],
  // a/c removed here, then the other host created a/c/y; a later delete moved every whiteout's ctime
  'a file created remotely after the local delete of its directory is deleted': [
    { k: 'rmtree', p: 'a/c', n: 1 },
    { k: 'rcreate', p: 'a/c/y', n: 2 },
    { k: 'delete', p: 'y', n: 3 },
  ],
  // y copied up by a chmod, appended to on the other host, deleted here: the remote append is gone
  'a local delete discards a remote change made after the local copy-up': [
    { k: 'chmod', p: 'y', n: 1, v: 3 },
    { k: 'rmodify', p: 'y', n: 2, inPlace: true },
    { k: 'delete', p: 'y', n: 3 },
  ],
  // the other host replaced directory a with a file: every publish below it fails with ENOTDIR, forever
  'a parent made a file remotely stalls the publishes below it': [
    { k: 'create', p: 'a/c/y', n: 1 },
    { k: 'sleep', ms: 300, n: 2 },
    { k: 'rdelete', p: 'a', n: 3 },
    { k: 'rcreate', p: 'a', n: 4 },
    { k: 'create', p: 'a/c/x.txt', n: 5 },
  ],
  // the other host edited the conflict copy; this host's next version went over it
  'a conflict copy edited remotely is overwritten by the next local version': [
    { k: 'create', p: 'x.txt', n: 1 },
    { k: 'sleep', ms: 300, n: 2 },
    { k: 'rmodify', p: 'x.txt', n: 3, inPlace: true },
    { k: 'append', p: 'x.txt', n: 4 },
    { k: 'sleep', ms: 300, n: 5 },
    { k: 'rconflict', p: 'x.txt', n: 6 },
    { k: 'append', p: 'x.txt', n: 7 },
  ],
  // a/ reclaimed here, removed and made again (same inode) on the other host while the union cached "no
  // such name": a symlink made here at a replaced the directory, and the other host's new file below it went
  'a symlink made behind a stale negative dentry deletes the directory the other host made again': [
    { k: 'create', p: 'a/y', n: 1 },
    { k: 'sleep', ms: 300, n: 2 },
    { k: 'evict', kill: { how: 'none' }, n: 3 },
    { k: 'rmtree', p: 'a', n: 4 },
    { k: 'rcreate', p: 'a/c/x.txt', n: 5 },
    { k: 'symlink', p: 'a', n: 6, target: 't6' },
  ],
  // y deleted here, then changed on the other host: the delete kept its version, which the whiteout hid
  // from the union; a create here then took that kept version as seen and replaced it
  'a create over a kept delete overwrites the remote version the delete kept': [
    { k: 'delete', p: 'y', n: 1 },
    { k: 'rmodify', p: 'y', n: 2, inPlace: false },
    { k: 'sleep', ms: 300, n: 3 },
    { k: 'create', p: 'y', n: 4 },
  ],
  // a/ removed and made again here (opaque); the other host then made the empty directory a/z.sh: the
  // opaque replacement removed it, as directories were never checked for a remote change
  'an empty directory the other host made is removed by an opaque replacement here': [
    { k: 'rmtree', p: 'a', n: 1 },
    { k: 'create', p: 'a/c/x.txt', n: 2 },
    { k: 'sleep', ms: 50, n: 3 },
    { k: 'rmkdir', p: 'a/z.sh', n: 4 },
    { k: 'sleep', ms: 300, n: 5 },
  ],
  // a user xattr set on a file gv0 already holds never reaches gv0 (same size and mtime: metadata only)
  'a user xattr set after the first publish is lost': [{ k: 'setfattr', p: 'a/c/z.sh', n: 1, v: 1 }],
  // the union still showed directory a from a cached lookup after the other host replaced it with a
  // file; a local create below copied a up from that stale entry, and the agent took the copy-up as
  // proof the union had seen gv0's a, so it unlinked the other host's file (item 6). The first create
  // only fills the union's dentry cache.
  'a stale directory dentry lets a local create below it delete the file the other host put there': [
    { k: 'create', p: 'x.txt', n: 1 },
    { k: 'rdelete', p: 'a', n: 2 },
    { k: 'rcreate', p: 'a', n: 3 },
    { k: 'create', p: 'a/c/y', n: 4 },
  ],
  // the other host replaced y (rename of a staged copy); the union kept showing the old y from a cached
  // lookup (dentry drops are off here; in the field, up to dentryDropSeconds), and the user deleted that. The agent, restarted meanwhile, dated the delete by its first walk, after
  // the remote change, so it removed the other host's new version: a delete replaced a version the
  // union never showed (item 4). The skipped chmod only fills the union's dentry cache.
  'a delete through a stale positive dentry removes the version the other host put there': [
    { k: 'chmod', p: 'a/c/x.txt', n: 4, v: 0 },
    { k: 'rmodify', p: 'y', n: 5, inPlace: false },
    { k: 'kill', ms: 18, n: 7 },
    { k: 'delete', p: 'y', n: 17 },
  ],
  // a directory made here and published, then removed (empty) by the other host: the agent neither
  // applied that removal to the cache nor reclaimed the directory (it is no longer in gv0), so the union
  // showed it after every evict, while gv0 and the other host had none.
  'an empty directory the other host removed stays in the union for good': [
    { k: 'mkdir', p: 'a/y', n: 1 },
    { k: 'sleep', ms: 300, n: 2 },
    { k: 'rdelete', p: 'a/y', n: 3 },
  ],
  // the union had looked b up while missing; the other host created b; a local `ln y b` made b a second
  // name of y's copy-up, which counted as "the union saw gv0's b" (a copy-up), so b's first publish
  // replaced the other host's file without a conflict copy (item 3). The create only looks every name up.
  'a hard link made behind a stale negative dentry overwrites the remote file': [
    { k: 'create', p: 'x.txt', n: 1 },
    { k: 'rcreate', p: 'b', n: 2 },
    { k: 'link', p: 'y', q: 'b', n: 3 },
  ],
  // a FIFO made here hid x.txt from the union (it is never published, so the agent noted no birth for it);
  // the other host created x.txt; after a reboot (a fresh mount) the user removed the FIFO, and the agent
  // took the whiteout for a delete of gv0's x.txt, dated after the remote create: it removed a file the
  // union never showed (item 4)
  'a delete of a FIFO removes the file the other host put at its name': [
    { k: 'fifo', p: 'x.txt', n: 1 },
    { k: 'sleep', ms: 300, n: 2 },
    { k: 'rcreate', p: 'x.txt', n: 3 },
    { k: 'reboot', kill: { how: 'none' }, n: 4 },
    { k: 'delete', p: 'x.txt', n: 5 },
  ],
  // the other host appended to x.txt right after this host's rename put it there, before the agent looked
  // at it for the record (held there by a crash-point hook): the record took the remote append for this
  // host's version, and the next local edit replaced it (item 6)
  'a remote edit right after the rename is taken for this host\'s version and overwritten': [
    { k: 'create', p: 'x.txt', n: 1 },
    { k: 'hook', mode: 'stop', at: 'publish:after-place', hit: 1, n: 2 },
    { k: 'rmodify', p: 'x.txt', n: 3, inPlace: true },
    { k: 'sleep', ms: 400, n: 4 },
    { k: 'append', p: 'x.txt', n: 5 },
    { k: 'sleep', ms: 400, n: 6 },
  ],
  // the same for a conflict copy: the other host's edit of it right after it was linked into place went
  // into the record, so the next local version replaced the edit
  'a remote edit of a conflict copy right after it is placed is overwritten': [
    { k: 'append', p: 'y', n: 1 },
    { k: 'rmodify', p: 'y', n: 2, inPlace: false },
    { k: 'hook', mode: 'stop', at: 'publish:conflict-placed', hit: 1, n: 3 },
    { k: 'rconflict', p: 'y', n: 4 },
    { k: 'sleep', ms: 400, n: 5 },
    { k: 'append', p: 'y', n: 6 },
    { k: 'sleep', ms: 400, n: 7 },
  ],
  // y published, reclaimed; the other host made gv0's y a hard link of a file outside the volume; a chmod
  // here copied it up (same bytes): the agent set the mode on gv0's inode in place, which was that outside
  // file (item 9)
  'a chmod here changes a file outside the volume through a hard link planted in gv0': [
    { k: 'chmod', p: 'y', n: 1, v: 1 },
    { k: 'sleep', ms: 400, n: 2 },
    { k: 'evict', kill: { how: 'none' }, n: 3 },
    { k: 'hostile', p: 'y', n: 4, v: 3 },
    { k: 'drop', n: 5 },
    { k: 'chmod', p: 'y', n: 6, v: 3 },
    { k: 'sleep', ms: 400, n: 7 },
  ],
  // killed right after linking a conflict copy into place, before its record was saved: the next start
  // took the copy for someone else's file and published a second copy of the same version
  'a kill right after a conflict copy is placed makes a second copy': [
    { k: 'append', p: 'y', n: 1 },
    { k: 'rmodify', p: 'y', n: 2, inPlace: false },
    { k: 'offlineEvict', kill: { how: 'at', at: 'publish:conflict-placed', hit: 1 }, n: 3 },
  ],
  // a chmod of a file in conflict (metadata only) recorded it without its conflict copy: the next edit
  // went to the name itself, over the other host's version (item 6)
  'a chmod of a file in conflict sends its next edit over the remote version': [
    { k: 'append', p: 'y', n: 1 },
    { k: 'rmodify', p: 'y', n: 2, inPlace: false },
    { k: 'sleep', ms: 1500, n: 3 },
    { k: 'chmod', p: 'y', n: 4, v: 1 },
    { k: 'sleep', ms: 1500, n: 5 },
    { k: 'append', p: 'y', n: 6 },
    { k: 'sleep', ms: 1500, n: 7 },
  ],
  // killed while removing a/c's entries in gv0 (a delete here): its own removals had moved a/c's ctime,
  // so the next start took the directory for one the other host made, and kept it: the deleted directory
  // came back in the union (item 4)
  'a kill inside a directory delete brings the directory back': [
    { k: 'rmtree', p: 'a/c', n: 1 },
    { k: 'offlineEvict', kill: { how: 'at', at: 'delete:mid-tree', hit: 1 }, n: 2 },
  ],
  // (found against this branch's first take on the sequence above) killed after the state save that
  // recorded a conflict copy but before its intent was dropped from intents.log: reclaim later let the
  // copy go, and the next start took the stale intent for a copy placed just before a crash, adopted it,
  // and published the next local version over it
  // reclaim marked an emptied opaque directory and was killed before its rmdir: the mark had dropped the
  // directory's "replacement applied", so the next pass applied it again and deleted from gv0 the file this
  // host had published from that directory and just reclaimed
  'a kill between the mark and the rmdir of an opaque directory deletes its published files': [
    { k: 'opaque', p: 'a', n: 1 },
    { k: 'sleep', ms: 200, n: 2 },
    { k: 'evict', kill: { how: 'at', at: 'reclaim:after-mark', hit: 2 }, n: 3 },
  ],
  // a name in conflict (the local version went to a conflict copy), then deleted here and made a
  // directory before the delete was published: the directory's publish judged gv0's file by the record's
  // baseline, took the other host's version for one the union had shown, and replaced it
  'a directory made over a name in conflict replaces the other host\'s file': [
    { k: 'create', p: 'a/x.txt', n: 1 },
    { k: 'sleep', ms: 400, n: 2 },
    { k: 'rcreate', p: 'a/x.txt', n: 3 },
    { k: 'create', p: 'a/x.txt', n: 4 },
    { k: 'sleep', ms: 400, n: 5 },
    { k: 'delete', p: 'a/x.txt', n: 6 },
    { k: 'mkdir', p: 'a/x.txt', n: 7 },
    { k: 'sleep', ms: 400, n: 8 },
  ],
  // a/z.sh, this host's directory, published and reclaimed; then a replaced here and a symlink made at a/z.sh:
  // gv0's directory there was the one the union showed before the replacement, yet it counted as unseen
  'a name below a directory replaced here takes a conflict copy for this host\'s own older directory': [
    { k: 'mkdir', p: 'a/z.sh', n: 1 },
    { k: 'sleep', ms: 400, n: 2 },
    { k: 'evict', kill: { how: 'none' }, n: 3 },
    { k: 'opaque', p: 'a', n: 4 },
    { k: 'symlink', p: 'a/z.sh', n: 5, target: 't5' },
    { k: 'sleep', ms: 400, n: 6 },
  ],
  'a stale conflict-copy intent sends a later version over the old conflict copy': [
    { k: 'append', p: 'y', n: 1 },
    { k: 'rmodify', p: 'y', n: 2, inPlace: false },
    { k: 'offlineEvict', kill: { how: 'at', at: 'state:saved-before-intents', hit: 1 }, n: 3 },
    { k: 'append', p: 'y', n: 4 },
    { k: 'sleep', ms: 1200, n: 5 },
  ],
}

/**
 * Sequences that still violate the contract: open bugs, each listed in README's Known limits. They run as
 * known failures, so the test suite turns red the day one of them starts passing (then move it above).
 */
/**
 * Sequences that hold the oracle to what it must not allow: each passes on a correct agent, and fails on
 * one that misses what it names.
 */
export const ORACLE_SEQUENCES: Record<string, Op[]> = {
  // the other host wrote x.txt before the union was mounted and the daemon started after that mount: the
  // union surely showed it, so its local delete must reach gv0 (no kept delete is allowed)
  'a delete of a remote file the union surely showed is applied': [
    { k: 'rcreate', p: 'x.txt', n: 1 },
    { k: 'sleep', ms: 200, n: 2 },
    { k: 'offlineEvict', kill: { how: 'none' }, n: 3 },
    { k: 'sleep', ms: 1500, n: 4 },
    { k: 'delete', p: 'x.txt', n: 5 },
    { k: 'sleep', ms: 300, n: 6 },
  ],
}

export const OPEN_SEQUENCES: Record<string, Op[]> = {}
