# strata-test/buildkit:1: BuildKit's output (another layer writer than the classic builder) on
# the trixie root: an apt install, a COPY with --chmod, a heredoc-free RUN, a deleting layer.
FROM strata-test/trixie:1
RUN apt-get update && apt-get install -y --no-install-recommends libcap2-bin file \
 && rm -rf /var/lib/apt/lists/*
COPY --chmod=0750 build-ca.pem /opt/ca.pem
RUN setcap cap_net_bind_service+ep /usr/bin/file && mkdir -p /srv/www && echo hi > /srv/www/index.html
RUN rm -f /opt/ca.pem && rm -rf /usr/share/doc
LABEL org.example.builder=buildkit
