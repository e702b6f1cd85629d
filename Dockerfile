# WebLab: build -> test -> publish -> runtime.
#   CPU:  docker build -t weblab .
#   CUDA: docker build -t weblab:cuda --build-arg TORCH_BACKEND=cuda .
#         (TorchSharp-cuda-linux ships libtorch with its CUDA libraries; the host needs only the NVIDIA driver:
#          docker run --gpus all ...)
# The commands below are the README's: `dotnet test WebLab.sln -c Release`, and the lab (WebLab.Web, which ships
# the `weblab` worker next to it) published and started on port 8080 with its data folder on the /data volume.
ARG TORCH_BACKEND=cpu

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
ARG TORCH_BACKEND
WORKDIR /src
COPY Directory.Build.props Directory.Build.targets Directory.Packages.props WebLab.sln .editorconfig datasets.json ./
COPY src/Build/ src/Build/
COPY src/WebLab.Core/WebLab.Core.csproj src/WebLab.Core/
COPY src/WebLab.Cli/WebLab.Cli.csproj src/WebLab.Cli/
COPY src/WebLab.Lab/WebLab.Lab.csproj src/WebLab.Lab/
COPY src/WebLab.Web/WebLab.Web.csproj src/WebLab.Web/
COPY tests/WebLab.Core.Tests/WebLab.Core.Tests.csproj tests/WebLab.Core.Tests/
COPY tests/WebLab.Lab.Tests/WebLab.Lab.Tests.csproj tests/WebLab.Lab.Tests/
COPY tests/WebLab.Web.Tests/WebLab.Web.Tests.csproj tests/WebLab.Web.Tests/
RUN dotnet restore WebLab.sln -p:TorchBackend=${TORCH_BACKEND}
COPY . .
RUN dotnet build WebLab.sln -c Release --no-restore -p:TorchBackend=${TORCH_BACKEND}

# The test suite (CPU). tests/prerequisites.sh installs the Fashion-MNIST Debian/Ubuntu package as root.
FROM build AS test
# Ubuntu's chromium is a snap stub that cannot run in a container: the two browser tests are skipped here
# (they run in CI on Debian 12, where tests/prerequisites.sh installs the chromium package).
ENV WEBLAB_SKIP_BROWSER_TESTS=1
RUN dotnet test WebLab.sln -c Release

FROM build AS publish
ARG TORCH_BACKEND
RUN dotnet publish src/WebLab.Web -c Release -r linux-x64 --self-contained false -p:TorchBackend=${TORCH_BACKEND} -o /app

# Ubuntu 24.04's glibc and libstdc++ are new enough for libtorch 2.10 (no patching needed at run time).
# The catalogue's offline targets come from packages: Fashion-MNIST, the emoji font and Unicode's list, and optdigits
# (scikit-learn's copy of UCI's file, in python3-sklearn).
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends dataset-fashion-mnist fonts-noto-color-emoji unicode-data python3-sklearn libgomp1 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=publish /app ./
ENV WEBLAB_DATA=/data \
    WEBLAB_HOME=/data/cache \
    ASPNETCORE_URLS=http://+:8080 \
    GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=17179869184
RUN mkdir -p /data && chown app:app /data
VOLUME ["/data"]
EXPOSE 8080
USER app
# The lab: API, hub and pages on :8080; it starts `dotnet /app/weblab.dll worker` processes for jobs.
# The CLI is there too: docker run --entrypoint dotnet weblab /app/weblab.dll --help
ENTRYPOINT ["dotnet", "/app/WebLab.Web.dll"]
