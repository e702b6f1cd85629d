# WebLab: build -> test -> publish -> runtime.
#   CPU:  docker build -t weblab .
#   CUDA: docker build -t weblab:cuda --build-arg TORCH_BACKEND=cuda .
#         (TorchSharp-cuda-linux ships libtorch with its CUDA libraries; the host needs only the NVIDIA driver:
#          docker run --gpus all ...)
# The commands below are the README's: `dotnet test WebLab.sln -c Release` and the published `weblab`.
ARG TORCH_BACKEND=cpu

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
ARG TORCH_BACKEND
WORKDIR /src
COPY Directory.Build.props Directory.Build.targets Directory.Packages.props WebLab.sln .editorconfig datasets.json ./
COPY src/Build/ src/Build/
COPY src/WebLab.Core/WebLab.Core.csproj src/WebLab.Core/
COPY src/WebLab.Cli/WebLab.Cli.csproj src/WebLab.Cli/
COPY tests/WebLab.Core.Tests/WebLab.Core.Tests.csproj tests/WebLab.Core.Tests/
RUN dotnet restore WebLab.sln -p:TorchBackend=${TORCH_BACKEND}
COPY . .
RUN dotnet build WebLab.sln -c Release --no-restore -p:TorchBackend=${TORCH_BACKEND}

# The test suite (CPU). tests/prerequisites.sh installs the Fashion-MNIST Debian/Ubuntu package as root.
FROM build AS test
RUN dotnet test WebLab.sln -c Release

FROM build AS publish
ARG TORCH_BACKEND
RUN dotnet publish src/WebLab.Cli -c Release -r linux-x64 --self-contained false -p:TorchBackend=${TORCH_BACKEND} -o /app

# Ubuntu 24.04's glibc and libstdc++ are new enough for libtorch 2.10 (no patching needed at run time).
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends dataset-fashion-mnist libgomp1 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=publish /app ./
ENV WEBLAB_HOME=/data \
    GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=17179869184
RUN mkdir -p /data && chown app:app /data
VOLUME ["/data"]
USER app
ENTRYPOINT ["dotnet", "/app/weblab.dll"]
CMD ["demo"]
