# Intune Remediations, detection script (run as SYSTEM, 64-bit PowerShell).
# Exit 1 exactly when `wufix repair --yes` would fix something on this machine, so Intune runs
# remediate.ps1; exit 0 otherwise. One line on stdout, nothing on stderr (Intune keeps at most
# 2,048 characters and treats stderr as a script error). Kept short on purpose: PowerShell is
# not run by wufix's test suite (no PowerShell on its build machine); wufix.exe does the work.
$exe = @("$env:ProgramData\wufix\bin\wufix.exe", (Join-Path $PSScriptRoot 'wufix.exe')) |
    Where-Object { Test-Path -LiteralPath $_ -PathType Leaf } | Select-Object -First 1
if (-not $exe) {
    Write-Output 'wufix.exe is neither in ProgramData\wufix\bin nor beside this script'
    exit 1
}
& $exe diagnose --exit-code --summary 2>$null
exit $LASTEXITCODE
