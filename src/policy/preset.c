/* preset.c — see preset.h. Keep doc/presets.md in step with this table
 * (test_preset checks it entry by entry). Only exact hosts: a wildcard
 * would also admit whatever else lives under a registry's domain. Some
 * entries (github.com, raw.githubusercontent.com, the CDNs) serve anyone's
 * content; limited mode keeps them read-only, full mode does not. Shared
 * blob stores (storage.googleapis.com, S3) are deliberately left out. */
#include "policy/preset.h"

#include <string.h>

static const struct preset_entry common_dependencies[] = {
	/* JavaScript */
	{"registry.npmjs.org", "npm registry metadata and tarballs"},
	{"registry.npmjs.com", "npm registry (alternate name)"},
	{"registry.yarnpkg.com", "Yarn classic registry mirror of npm"},
	{"repo.yarnpkg.com", "Yarn Berry releases"},
	{"yarnpkg.com", "Yarn website and install script"},
	{"nodejs.org", "Node.js releases and headers for native addons"},
	{"registry.bower.io", "Bower registry (legacy projects)"},
	{"jsr.io", "JSR, the JavaScript registry"},
	{"deno.land", "Deno modules and releases"},
	{"bun.sh", "Bun install script and releases"},
	/* Python */
	{"pypi.org", "Python Package Index (simple and JSON APIs)"},
	{"files.pythonhosted.org", "PyPI package files"},
	{"pypi.python.org", "PyPI (legacy name, redirects)"},
	{"www.python.org", "CPython source and installers"},
	{"python.org", "CPython website"},
	{"bootstrap.pypa.io", "get-pip.py and pip bootstrap"},
	{"conda.anaconda.org", "Conda channels (conda-forge and others)"},
	{"repo.anaconda.com", "Anaconda default channels and installers"},
	{"anaconda.org", "Anaconda.org channel metadata"},
	{"astral.sh", "uv and ruff install scripts"},
	/* Rust */
	{"crates.io", "crates.io registry API"},
	{"static.crates.io", "crate downloads"},
	{"index.crates.io", "crates.io sparse index"},
	{"static.rust-lang.org", "rustup toolchains and components"},
	{"sh.rustup.rs", "rustup install script"},
	{"win.rustup.rs", "rustup installer for Windows targets"},
	/* Go */
	{"proxy.golang.org", "Go module proxy"},
	{"sum.golang.org", "Go checksum database"},
	{"index.golang.org", "Go module index"},
	{"golang.org", "Go website and vanity import paths"},
	{"go.dev", "Go website and downloads"},
	{"dl.google.com", "Go toolchains and Android SDK artifacts"},
	/* Ruby */
	{"rubygems.org", "RubyGems registry"},
	{"index.rubygems.org", "RubyGems compact index"},
	{"api.rubygems.org", "RubyGems API"},
	{"cache.ruby-lang.org", "Ruby source releases"},
	/* JVM */
	{"repo1.maven.org", "Maven Central"},
	{"repo.maven.apache.org", "Maven Central (Apache name)"},
	{"plugins.gradle.org", "Gradle plugin portal"},
	{"plugins-artifacts.gradle.org", "Gradle plugin artifacts"},
	{"services.gradle.org", "Gradle wrapper distributions"},
	{"downloads.gradle.org", "Gradle distributions"},
	{"repo.spring.io", "Spring repositories"},
	{"maven.google.com", "Google Maven repository"},
	/* .NET, PHP, Elixir, Perl, R, Haskell, Dart, Swift */
	{"api.nuget.org", "NuGet v3 API and packages"},
	{"www.nuget.org", "NuGet website and v2 API"},
	{"dotnetcli.azureedge.net", ".NET SDK downloads"},
	{"packagist.org", "Packagist (Composer) metadata"},
	{"repo.packagist.org", "Packagist repository"},
	{"getcomposer.org", "Composer installer"},
	{"hex.pm", "Hex (Elixir/Erlang) website and API"},
	{"repo.hex.pm", "Hex package repository"},
	{"builds.hex.pm", "Hex and Elixir builds"},
	{"cpan.org", "CPAN website"},
	{"www.cpan.org", "CPAN mirror"},
	{"cpan.metacpan.org", "CPAN distributions via MetaCPAN"},
	{"fastapi.metacpan.org", "MetaCPAN API (cpanm)"},
	{"cloud.r-project.org", "CRAN cloud mirror"},
	{"cran.r-project.org", "CRAN"},
	{"hackage.haskell.org", "Hackage (Haskell packages)"},
	{"pub.dev", "Dart and Flutter packages"},
	/* Containers */
	{"registry-1.docker.io", "Docker Hub registry"},
	{"auth.docker.io", "Docker Hub token service"},
	{"production.cloudflare.docker.com", "Docker Hub layer CDN"},
	{"index.docker.io", "Docker Hub index"},
	{"ghcr.io", "GitHub Container Registry"},
	{"pkg-containers.githubusercontent.com", "GHCR layer storage"},
	{"quay.io", "Quay container registry"},
	{"cdn.quay.io", "Quay layer CDN"},
	{"gcr.io", "Google Container Registry"},
	{"mcr.microsoft.com", "Microsoft Container Registry"},
	{"public.ecr.aws", "Amazon ECR Public"},
	/* Source hosting */
	{"github.com", "GitHub (git over HTTPS, releases)"},
	{"api.github.com", "GitHub API"},
	{"codeload.github.com", "GitHub archive downloads"},
	{"objects.githubusercontent.com", "GitHub release assets"},
	{"raw.githubusercontent.com", "raw files from GitHub"},
	{"release-assets.githubusercontent.com", "GitHub release assets (new)"},
	{"gitlab.com", "GitLab (git over HTTPS, API)"},
	{"registry.gitlab.com", "GitLab container registry"},
	{"bitbucket.org", "Bitbucket (git over HTTPS)"},
	{"api.bitbucket.org", "Bitbucket API"},
	{"sourceforge.net", "SourceForge project pages"},
	{"downloads.sourceforge.net", "SourceForge downloads"},
	/* Operating-system packages */
	{"deb.debian.org", "Debian packages (CDN)"},
	{"security.debian.org", "Debian security updates"},
	{"archive.ubuntu.com", "Ubuntu archive"},
	{"security.ubuntu.com", "Ubuntu security updates"},
	{"ports.ubuntu.com", "Ubuntu ports (arm64 and others)"},
	{"dl-cdn.alpinelinux.org", "Alpine packages"},
	{"mirrors.fedoraproject.org", "Fedora mirror list"},
	{"dl.fedoraproject.org", "Fedora packages"},
	{"download.fedoraproject.org", "Fedora download redirector"},
	{"mirror.centos.org", "CentOS packages"},
	{"archlinux.org", "Arch Linux website and mirror list"},
	/* CDNs that package managers fetch through */
	{"cdn.jsdelivr.net", "jsDelivr CDN (npm and GitHub files)"},
	{"unpkg.com", "unpkg CDN for npm files"},
	{"cdnjs.cloudflare.com", "cdnjs library CDN"},
};

static const struct preset_entry all_entries[] = {
	{"*", "every host"},
};

int
preset_parse(const char *name, enum preset_id *out)
{
	if (strcmp(name, "none") == 0)
		*out = PRESET_NONE;
	else if (strcmp(name, "common-dependencies") == 0)
		*out = PRESET_COMMON_DEPENDENCIES;
	else if (strcmp(name, "all") == 0)
		*out = PRESET_ALL;
	else
		return -1;
	return 0;
}

const char *
preset_name(enum preset_id id)
{
	switch (id) {
	case PRESET_NONE:
		return "none";
	case PRESET_COMMON_DEPENDENCIES:
		return "common-dependencies";
	case PRESET_ALL:
		return "all";
	}
	return "none";
}

const struct preset_entry *
preset_entries(enum preset_id id, size_t *n)
{
	switch (id) {
	case PRESET_NONE:
		break;
	case PRESET_COMMON_DEPENDENCIES:
		*n = sizeof(common_dependencies) / sizeof(common_dependencies[0]);
		return common_dependencies;
	case PRESET_ALL:
		*n = 1;
		return all_entries;
	}
	*n = 0;
	return NULL;
}
