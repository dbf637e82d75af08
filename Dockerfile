# secretgraph as a container image: the same wheel `pip wheel .` builds from this checkout,
# installed into a slim Python, run as an unprivileged user with `secretgraph` as entrypoint.
# No AWS credentials are baked in: pass them at run time (task role, instance profile, or
# -e AWS_... / a mounted ~/.aws), e.g. (docs/reports.md, "Container image": --out inside the
# mounted folder, since outputs are staged beside --out; --user so that it may write there)
#   docker build -t secretgraph .
#   mkdir -p scans
#   docker run --rm --user "$(id -u):$(id -g)" -e HOME=/tmp -v ~/.aws:/tmp/.aws:ro \
#     -e AWS_PROFILE=audit -v "$PWD/scans:/scans" \
#     secretgraph scan --org --role-name SecretgraphAudit --out /scans/latest
# The organization-scale Fargate analysis task runs this image with its own EntryPoint
# (`python -m scanner.deploy.tasks`) and Command (`analyze`): docs/deployment.md.

FROM python:3.11-slim AS build
WORKDIR /src
COPY setup.cfg pyproject.toml README.md ./
COPY scanner ./scanner
COPY rules ./rules
COPY remediations ./remediations
COPY reports ./reports
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin secretgraph
COPY --from=build /wheels /wheels
# the package's own wheel, no extras: the scanner needs no moto or test tools at run time
RUN pip install --no-cache-dir /wheels/secretgraph-*.whl && rm -rf /wheels
USER 10001:10001
WORKDIR /home/secretgraph
ENTRYPOINT ["secretgraph"]
CMD ["--help"]
