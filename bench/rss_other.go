//go:build !unix

package bench

import "os"

// maxRSS is not reported here; the caller falls back to its own figure.
func maxRSS(*os.ProcessState) int64 { return 0 }
