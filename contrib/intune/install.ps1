# Intune Win32 app / ConfigMgr application, install command (System context):
#   powershell.exe -NoProfile -ExecutionPolicy Bypass -File install.ps1
# wufix.exe (packaged beside this script) installs itself into ProgramData\wufix\bin after it
# has protected that folder (never a copy made by this script: a user could own the target),
# then the installed exe repairs once with installer exit codes (0, 3010, 1618, 1639, 1603;
# README, "Fleet use"). Kept short on purpose: PowerShell is not run by wufix's test suite.
& (Join-Path $PSScriptRoot 'wufix.exe') install --summary 2>$null
if ($LASTEXITCODE -ne 0) { exit 1603 }
$report = Join-Path $env:ProgramData 'wufix\reports\last.json'
& "$env:ProgramData\wufix\bin\wufix.exe" repair --yes --exit-codes msi --json-file $report --not-within 24h 2>$null
exit $LASTEXITCODE
