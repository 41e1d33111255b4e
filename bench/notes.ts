// What the README says under the table: how the figures were taken and what the merged-dir variants showed.
// The variants' own figures are rows of the table; this text explains them.

/** Method and findings, as Markdown, for the README's Benchmarks section. */
export const benchmarkNotes = `How: the lab's WAN is shaped with tc tbf plus the lab's delay line; every \`dd\` (gv0 and union alike)
uses \`conv=fsync\`, so both speedup rows include the flush to disk; small files are written by one process on
hydra (open, write 4 KiB, close) unless a row says otherwise; hydra's agent is stopped while the application-side
figures are taken, so no flush competes for the link. Ratios are always two figures of the same run, measured
taking turns. Flush figures are taken on the bricks themselves (both hosts share one kernel clock).

The merged-directory cost: overlayfs looks every new name up in each lower layer, and a lookup in gv0 is sent to
both bricks (AFR), so each new file in a directory that also exists in gv0 waits one WAN round trip. Tried against
it, none of which helped (rows "merged dir" above): several writers at once (the kernel serialises creates in one
directory under its lock), FUSE \`negative-timeout\`/\`entry-timeout\` on the gv0 mount (a negative entry is only
cached after a name was looked up once, and new names are new), and gluster's \`group nl-cache\` with
\`performance.nl-cache-positive-entry on\`, also after listing the directory to fill the cache. What does avoid the
cost is writing into a directory that is new in the union (upper only): the "new dir" row. Not tried because it is
unsafe: making the upper directory opaque, which would hide gv0's entries of that directory from the union.`
