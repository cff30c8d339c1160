package steps

// The PowerShell that finds, reads and edits the Scale Out settings files
// (MasterSettings.config, WorkerSettings.config). Nobody here has seen a real one: the
// documentation's defaults point at JSON written by Json.NET, an older guess said XML.
// So the format is told from the first non-blank character, '{' for JSON and '<' for
// XML, and anything else is refused with the file's first line. A JSON edit changes
// only the text of the one property's value, so every other property keeps its order,
// its value as written and the file's layout; the encoding (UTF-8, with or without a
// byte order mark) is kept as found. An XML edit selects the element by local name
// anywhere. Either way a name found other than exactly once is an error, the file is
// backed up with a UTC timestamp and written atomically (temporary file, then rename).

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
` + psSettingsFile

// psSettingsFile reads a settings file in either format (Read-Settings), gets and sets
// one setting (Get-Setting, Set-Setting) and writes it back (Save-Settings).
const psSettingsFile = `function Read-Settings([string]$path) {
  $bytes = [System.IO.File]::ReadAllBytes($path)
  $bom = $bytes.Length -ge 3 -and $bytes[0] -eq 0xEF -and $bytes[1] -eq 0xBB -and $bytes[2] -eq 0xBF
  $enc = New-Object System.Text.UTF8Encoding($bom)
  $text = $enc.GetString($bytes)
  if ($text.Length -gt 0 -and $text[0] -eq [char]0xFEFF) { $text = $text.Substring(1) }
  $start = $text.TrimStart()
  $s = [pscustomobject]@{ Path = $path; Format = ''; Text = $text; Encoding = $enc; Doc = $null }
  if ($start.StartsWith('{')) {
    $null = $text | ConvertFrom-Json
    $s.Format = 'json'
  } elseif ($start.StartsWith('<')) {
    [xml]$doc = $text
    $s.Format = 'xml'; $s.Doc = $doc
  } else {
    $line = @($text -split "` + "`r?`n" + `" | Where-Object { $_.Trim() })[0]
    if ($line) { $line = $line.Trim() }
    throw "$path is neither JSON nor XML; its first line is '$line'"
  }
  return $s
}
function Find-JsonSetting($s, [string]$name) {
  $re = '"' + [regex]::Escape($name) + '"\s*:\s*("(?:[^"\\]|\\.)*"|[^,}\s]+)'
  $m = [regex]::Matches($s.Text, $re)
  if ($m.Count -ne 1) { throw "expected 1 $name property in $($s.Path), found $($m.Count)" }
  return $m[0].Groups[1]
}
function Get-Setting($s, [string]$name) {
  if ($s.Format -eq 'xml') {
    $n = $s.Doc.SelectNodes("//*[local-name()='" + $name + "']")
    if ($n.Count -ne 1) { throw "expected 1 $name element in $($s.Path), found $($n.Count)" }
    return $n[0].InnerText
  }
  $raw = (Find-JsonSetting $s $name).Value
  if ($raw -eq 'null') { return '' }
  return [string](('{"v":' + $raw + '}') | ConvertFrom-Json).v
}
function Set-Setting($s, [string]$name, [string]$value) {
  if ($s.Format -eq 'xml') {
    $n = $s.Doc.SelectNodes("//*[local-name()='" + $name + "']")
    if ($n.Count -ne 1) { throw "expected 1 $name element in $($s.Path), found $($n.Count)" }
    $n[0].InnerText = $value
    return
  }
  $g = Find-JsonSetting $s $name
  if ($value -match '[\x00-\x1f]') { throw "the value for $name holds a control character" }
  $new = '"' + $value.Replace('\', '\\').Replace('"', '\"') + '"'
  if (-not $g.Value.StartsWith('"') -and $value -match '^-?\d+(\.\d+)?$') { $new = $value }
  $s.Text = $s.Text.Substring(0, $g.Index) + $new + $s.Text.Substring($g.Index + $g.Length)
}
function Save-Settings($s) {
  $stamp = (Get-Date).ToUniversalTime().ToString('yyyyMMddHHmmss')
  $backup = "$($s.Path).bak-$stamp"
  Copy-Item -LiteralPath $s.Path -Destination $backup -Force
  $tmp = "$($s.Path).ssisha-tmp"
  if ($s.Format -eq 'xml') { $s.Doc.Save($tmp) } else { [System.IO.File]::WriteAllText($tmp, $s.Text, $s.Encoding) }
  Move-Item -LiteralPath $tmp -Destination $s.Path -Force
  return $backup
}`
