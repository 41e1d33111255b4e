// What the README says under the table: how the figures were taken, what the merged-dir variants showed and why
// small files through the union cost more than on the local disk.
// The variants' own figures are rows of the table; this text explains them.

import type { DrainVariant } from './drain.ts'

const x = (a: number, b: number) => `${(a / b).toFixed(a / b >= 10 ? 1 : 2)}x`

/** The drain paragraph, with this run's ratios of the default against the agent before drain mounts. */
function drainNotes(drain: DrainVariant[] | undefined): string {
  const [now, before] = drain ?? []
  const ratios = now && before
    ? `${x(now.sameDirPerSecond, before.sameDirPerSecond)} the old rate into one directory and ${x(now.manyDirsPerSecond, before.manyDirsPerSecond)} over 20 directories in the run above, with large
files drained ${x(now.largeKbit, before.largeKbit)} as fast as without them`
    : 'the ratios are in the rows "drain" above'
  return `The drain of small files (rows "flush ... drained" and "drain"): each published file holds its gv0 directory's
lock in the kernel for about seven WAN round trips (the temporary's create, link(temp, name), the temporary's
unlink, each with its lookup or lock; gluster's FUSE bridge offers no parallel directory operations, and replicate
adds a lock round trip to each entry operation), so one FUSE mount publishes a few files/s into one directory however
many publishes run. A first publish does not look its name up before the link (1.15x side by side). The agent
therefore publishes through 16 extra gv0 mounts of its own (\`flush: drain_mounts\`), each with its own directory
locks, and deals each pass's names to whichever mount has a free slot (a name another mount worked on in the last
10 s waits for that one; 1.33x into one directory against hashing names over the mounts, by hand): ${ratios}. That
is still below the 100/s and 150/s aimed at. The agent keeps its 64 publishes in flight, and each one takes
about 1.25 s on the bench's link, against 0.34 s alone: round trips grow from 31 to 50-55 ms in the link's queue.
More in flight (32 mounts) overflowed that queue and halved the drain. With no WAN at all, the lab drained 81 files/s
and both of the machine's cores were fully busy (about 25 ms of CPU per published file, for both hosts together).
Measured by hand and lost: temporaries in a staging directory per publish slot (a link from another directory is
slower and locks both), more publishes in flight per mount or more mounts, \`negative-timeout\` on the drain mounts,
and gluster's event threads and delayed post-op. Step by step, with the figures: [docs/drain.md](docs/drain.md).`
}

/** Method and findings, as Markdown, for the README's Benchmarks section. */
export const benchmarkNotes = (drain: DrainVariant[] | undefined) => `How: the lab's WAN is shaped with tc tbf plus the lab's delay line; every \`dd\` (gv0 and union alike)
uses \`conv=fsync\`, so both speedup rows include the flush to disk; small files are written by one process on
hydra (open, write 4 KiB, close) unless a row says otherwise; hydra's agent is stopped while the application-side
figures are taken, so no flush competes for the link. Ratios are always two figures of the same run, measured
taking turns. Flush figures are taken on the bricks themselves (both hosts share one kernel clock). The uplink
rows: hydra drains random data at link speed, then under \`gfs-writecache limit\` of 2 Mbit/s (250,000 bytes/s of
file data); the drain is the growth of plexus's brick over a 20 s window, and the pings run from hydra to plexus
over the WAN meanwhile (idle first): the limited drain leaves the link's queue empty, the unlimited one fills it.

${drainNotes(drain)}

The merged-directory cost: overlayfs looks every new name up in each lower layer, and a lookup in gv0 is sent to
both bricks (AFR), so each new file in a directory that also exists in gv0 waits one WAN round trip. Tried against
it, none of which helped (rows "merged dir" above): several writers at once (the kernel serialises creates in one
directory under its lock), FUSE \`negative-timeout\`/\`entry-timeout\` on the gv0 mount (a negative entry is only
cached after a name was looked up once, and new names are new), and gluster's \`group nl-cache\` with
\`performance.nl-cache-positive-entry on\`, also after listing the directory to fill the cache. What does avoid the
cost is writing into a directory that is new in the union (upper only): the "new dir" row. Not tried because it is
unsafe: making the upper directory opaque, which would hide gv0's entries of that directory from the union.

The union against the local disk, small files: the gap is kernel CPU per file, not waiting. An open(O_CREAT), a
4 KiB write and a close of a new file took about 30 us of system time on /data's ext4 and about 50-65 us through
the union into a new directory on the same disk (a C loop, interleaved runs, here and on a lab host); Node's own
10-20 us per file on both sides brings the ratio to about 0.7. perf shows where the extra goes: overlayfs looks the
new name up in the upper dir, drops that negative dentry (so they do not pile up in upper) and looks the name up
again under the directory lock to create it, so every create searches the ext4 directory twice (about a quarter of
the extra); the rest is the second inode and dentry, the creator's credentials prepared for each create, the backing
file opened beside the overlay file, and permission and privilege checks on both layers. Tried, none of which moved
the ratio beyond the noise (0.68-0.75 over 10 interleaved runs each): \`xino=auto\`, \`uuid=off\` (falls back to
null), \`userxattr\` (needs \`redirect_dir=nofollow\`) and \`volatile\`, the last two also against the agent's
contract, and XFS instead of ext4 under both sides. The comparison is fair: the local and upper dirs are on the same
file system, both new, synced before each run, hydra's agent stopped; a new directory's names are never looked up
in gv0 (no create waited 5 ms or more).

### The race against Ansible

\`npm run bench\` ends with a race (bench/ansible-race.ts; alone: \`node --import tsx bench/ansible-race.ts\`):
bench/ansible/site.yml builds the same appliance as far as Ansible's own modules and the gluster.gluster
collection can (packages, glusterd, peers, the replica-2 volume and its options, the gv0 mount, the overlay, the
agent's program and unit; no TLS, health checks or repair logic), with pipelining and ControlPersist on. Ours
(\`./provision.mjs\`) and Ansible's (\`ansible-playbook\`) each run on a freshly booted lab (flavor ready), from the
shell, cold and then five no-change re-runs; \`provision.ansibleColdSeconds\`, \`provision.ansibleRerunSeconds\` and
\`provision.rerunVsAnsible\` (our re-run / Ansible's, goal at most 0.2) go to bench/results.json. The bench installs
Debian's \`ansible\` package when it is missing. The round-trips figure counts commands sent to the hosts only (the
CA's commands on the controller are no longer counted).`
