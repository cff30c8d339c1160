// Package clients holds the lab's third-party client checks: its tests start a
// lab and drive it with clients nobody here wrote (FreeTDS tsql, impacket's TDS
// client, tedious, pywinrm), each found on the machine or installed by .ci/run.
// Locally a missing client skips its test; in CI (CI=true) it fails it.
package clients
