<#
.SYNOPSIS
  Installs git-lfs-s3 for the current user on Windows: from an unpacked release archive, the binary beside this
  script (bin\git-lfs-s3.exe); in a source checkout, builds it with the .NET SDK (or takes -Binary); puts it on
  the user PATH, the manual's HTML page in <Prefix>\share\doc\git-lfs-s3, and runs `git lfs-s3 install`.
  Idempotent. If PowerShell refuses to run scripts, allow it for this one process first:
    Set-ExecutionPolicy -Scope Process -ExecutionPolicy Bypass
.EXAMPLE
  .\install.ps1                      (in an unpacked release archive)
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
$Doc = Join-Path $Prefix 'share\doc\git-lfs-s3'
$HtmlCopy = Join-Path $Doc '.html-copy'
# An unpacked release archive holds the binary beside this script.
$Beside = Join-Path $PSScriptRoot 'bin\git-lfs-s3.exe'

function Set-UserPath([string[]]$Entries) {
    [Environment]::SetEnvironmentVariable('Path', ($Entries -join ';'), 'User')
}
$userPath = @(([Environment]::GetEnvironmentVariable('Path', 'User') -split ';') | Where-Object { $_ })

if ($Uninstall) {
    if (Test-Path $Exe) { & $Exe uninstall }
    if (Test-Path $HtmlCopy) { Remove-Item -Force (Get-Content $HtmlCopy) -ErrorAction SilentlyContinue }
    Remove-Item -Recurse -Force $Bin, $Doc -ErrorAction SilentlyContinue
    Set-UserPath ($userPath | Where-Object { $_ -ne $Bin })
    Write-Output "git-lfs-s3 removed from $Prefix"
    exit 0
}

if (-not (Get-Command git -ErrorAction SilentlyContinue)) { throw 'git is not installed: install Git for Windows (https://git-scm.com)' }
$lfs = & git lfs version 2>$null
if ($LASTEXITCODE -ne 0 -or -not $lfs) { throw 'git-lfs is not installed: it comes with Git for Windows, or see https://git-lfs.com' }
if ($lfs -match '^git-lfs/(\d+)\.' -and [int]$Matches[1] -lt 3) { throw "$lfs is too old: git-lfs-s3 needs git-lfs 3.0 or later" }

if (-not $Binary -and (Test-Path $Beside)) { $Binary = $Beside }
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
# `git lfs-s3 --help` is `git help lfs-s3`, which on Windows opens <help.htmlPath or git --html-path>\git-lfs-s3.html.
# The page goes to a folder of the user's ($Doc); it is copied to git's folder only when that is writable (Git for
# Windows installed for the user), since help.htmlPath pointed elsewhere would hide git's own pages.
& $Exe man --out (Join-Path $Prefix 'share\man\man1') --html $Doc
if ($LASTEXITCODE -ne 0) { throw 'git lfs-s3 man failed' }
Remove-Item -Force $HtmlCopy -ErrorAction SilentlyContinue
$htmlPath = (& git config help.htmlpath 2>$null)
if (-not $htmlPath) { $htmlPath = (& git --html-path 2>$null) }
$page = Join-Path $Doc 'git-lfs-s3.html'
try {
    if (-not ($htmlPath -and (Test-Path (Join-Path $htmlPath 'git.html')))) { throw 'no git.html' }
    Copy-Item $page (Join-Path $htmlPath 'git-lfs-s3.html') -Force
    Set-Content -Path $HtmlCopy -Value (Join-Path $htmlPath 'git-lfs-s3.html')
} catch {
    Write-Output "note: ``git help -w lfs-s3`` looks in $htmlPath, which needs an administrator: the manual's HTML page is $page"
}
& $Exe install
if ($LASTEXITCODE -ne 0) { throw 'git lfs-s3 install failed' }
Write-Output "done: $(& $Exe version). Set up a repository with: git lfs-s3 init --bucket <bucket> [--prefix <prefix>]"
