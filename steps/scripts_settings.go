package steps

// The PowerShell that reads and edits MasterSettings.config and restarts the master
// where it is meant to run. Every edit selects the element by local name anywhere,
// fails on 0 or more than 1 match, backs the file up with a UTC timestamp and writes
// it atomically (temporary file, then rename) keeping its encoding.

// psFindSettings is shared by the settings scripts: the file next to the service
// executable, or the version's default path.
const psFindSettings = `function Find-Settings([string]$service, [string]$file, [string]$default) {
  $svc = Get-CimInstance Win32_Service -Filter ("Name='" + $service.Replace("'", "''") + "'") -ErrorAction SilentlyContinue
  if ($svc -and $svc.PathName) {
    $exe = $svc.PathName.Trim()
    if ($exe.StartsWith('"')) { $exe = $exe.Substring(1, $exe.IndexOf('"', 1) - 1) }
    elseif ($exe -match '^(.+?\.exe)') { $exe = $Matches[1] }
    $candidate = Join-Path (Split-Path -Parent $exe) $file
    if (Test-Path -LiteralPath $candidate) { return $candidate }
  }
  return $default
}
function Get-One([xml]$x, [string]$name) {
  $n = $x.SelectNodes("//*[local-name()='" + $name + "']")
  if ($n.Count -ne 1) { throw "expected 1 $name element, found $($n.Count)" }
  return $n[0]
}`

// psSaveSettings writes an edited document next to the original and swaps it in, so
// a crash never leaves half a file; the original is kept as a timestamped backup.
const psSaveSettings = `function Save-Settings([xml]$x, [string]$path) {
  $stamp = (Get-Date).ToUniversalTime().ToString('yyyyMMddHHmmss')
  $backup = "$path.bak-$stamp"
  Copy-Item -LiteralPath $path -Destination $backup -Force
  $tmp = "$path.ssisha-tmp"
  $x.Save($tmp)
  Move-Item -LiteralPath $tmp -Destination $path -Force
  return $backup
}`
