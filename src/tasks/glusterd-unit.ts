// Starting glusterd from a task. Debian's glusterd.service allows 6 starts an hour (StartLimitBurst=6,
// StartLimitIntervalSec=3600): a host that went through a few faults and repairs is past that, and a plain
// start then fails with "start request repeated too quickly". reset-failed clears that count first.
import { sh } from '../engine/command.ts'

export const glusterdStart = sh`systemctl reset-failed glusterd.service; systemctl start glusterd.service`
export const glusterdRestart = sh`systemctl reset-failed glusterd.service; systemctl restart glusterd.service`
