# Intune Remediations, remediation script (run as SYSTEM, 64-bit PowerShell).
# Repairs where the evidence points, at most once a day (--not-within 24h: a run within that
# time does nothing and exits 0), with the full report in ProgramData\wufix\reports\last.json
# (wufix makes and protects that folder). One line on stdout, nothing on stderr; the exit code
# is wufix's own (README, "Exit codes"). Kept short on purpose, like detect.ps1.
$exe = @("$env:ProgramData\wufix\bin\wufix.exe", (Join-Path $PSScriptRoot 'wufix.exe')) |
    Where-Object { Test-Path -LiteralPath $_ -PathType Leaf } | Select-Object -First 1
if (-not $exe) {
    Write-Output 'wufix.exe is neither in ProgramData\wufix\bin nor beside this script'
    exit 1
}
$report = Join-Path $env:ProgramData 'wufix\reports\last.json'
& $exe repair --yes --summary --json-file $report --not-within 24h 2>$null
exit $LASTEXITCODE
