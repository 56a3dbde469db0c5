<#
.SYNOPSIS
  Installs git-lfs-s3 for the current user on Windows: builds the native binary from source with the .NET SDK
  (or takes a prebuilt one), puts it on the user PATH, and runs `git lfs-s3 install`. Idempotent.
.EXAMPLE
  scripts\install.ps1
  scripts\install.ps1 -Prefix C:\Tools\git-lfs-s3 -Binary .\artifacts\bin\git-lfs-s3.exe
  scripts\install.ps1 -Uninstall
#>
param(
    [string]$Prefix = (Join-Path $env:LOCALAPPDATA 'git-lfs-s3'),
    [string]$Binary = '',
    [switch]$Uninstall
)
$ErrorActionPreference = 'Stop'
$Root = Split-Path -Parent $PSScriptRoot
$Bin = Join-Path $Prefix 'bin'
$Exe = Join-Path $Bin 'git-lfs-s3.exe'

function Set-UserPath([string[]]$Entries) {
    [Environment]::SetEnvironmentVariable('Path', ($Entries -join ';'), 'User')
}
$userPath = @(([Environment]::GetEnvironmentVariable('Path', 'User') -split ';') | Where-Object { $_ })

if ($Uninstall) {
    if (Test-Path $Exe) { & $Exe uninstall }
    Remove-Item -Recurse -Force $Bin -ErrorAction SilentlyContinue
    Set-UserPath ($userPath | Where-Object { $_ -ne $Bin })
    Write-Output "git-lfs-s3 removed from $Prefix"
    exit 0
}

if (-not (Get-Command git -ErrorAction SilentlyContinue)) { throw 'git is not installed: install Git for Windows (https://git-scm.com)' }
$lfs = & git lfs version 2>$null
if ($LASTEXITCODE -ne 0 -or -not $lfs) { throw 'git-lfs is not installed: it comes with Git for Windows, or see https://git-lfs.com' }
if ($lfs -match '^git-lfs/(\d+)\.' -and [int]$Matches[1] -lt 3) { throw "$lfs is too old: git-lfs-s3 needs git-lfs 3.0 or later" }

if (-not $Binary) {
    if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) { throw 'the .NET SDK is needed to build from source (https://dot.net), or pass -Binary PATH' }
    Write-Host 'building the native binary (dotnet publish, native AOT)...'
    & dotnet publish (Join-Path $Root 'src/LfsS3Agent') -c Release -r win-x64 -o (Join-Path $Root 'artifacts/bin') -nologo -v quiet
    if ($LASTEXITCODE -ne 0) { throw 'dotnet publish failed' }
    $Binary = Join-Path $Root 'artifacts/bin/git-lfs-s3.exe'
}
if (-not (Test-Path $Binary)) { throw "$Binary does not exist" }
$Source = Split-Path -Parent (Resolve-Path $Binary)

New-Item -ItemType Directory -Force $Bin | Out-Null
foreach ($f in 'git-lfs-s3.exe', 'e_sqlite3.dll') {
    $from = Join-Path $Source $f
    if (Test-Path $from) {
        # copy then rename, so a running agent is never overwritten in place
        Copy-Item $from (Join-Path $Bin ".$f.new") -Force
        Move-Item (Join-Path $Bin ".$f.new") (Join-Path $Bin $f) -Force
    }
}
if ($userPath -notcontains $Bin) {
    Set-UserPath ($userPath + $Bin)
    $env:Path = "$env:Path;$Bin"
    Write-Output "added $Bin to your user PATH (new terminals pick it up)"
}
# `git lfs-s3 --help` is `git help lfs-s3`, which on Windows opens <git --html-path>/git-lfs-s3.html.
$htmlPath = (& git --html-path 2>$null)
if ($htmlPath -and (Test-Path $htmlPath)) {
    & $Exe man --out (Join-Path $Bin 'man') --html $htmlPath
    if ($LASTEXITCODE -ne 0) { Write-Warning "could not write the manual page to $htmlPath (run as an administrator to add it)" }
}
& $Exe install
if ($LASTEXITCODE -ne 0) { throw 'git lfs-s3 install failed' }
Write-Output "done: $(& $Exe version). Set up a repository with: git lfs-s3 init --bucket <bucket> [--prefix <prefix>]"
