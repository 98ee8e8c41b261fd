# strata-test/apt:1: real software on a debootstrap'd Debian root, built by the classic builder:
# thousands of files from apt (alternatives symlink farms, merged-usr), a setcap binary
# (security.capability xattr), pip and npm installs, and a layer that deletes (whiteouts).
FROM strata-test/bookworm:1
RUN apt-get update && apt-get install -y --no-install-recommends python3-pip nodejs npm libcap2-bin \
 && rm -rf /var/lib/apt/lists/*
# The host's CA bundle: PyPI and npm are reached through it from this machine.
COPY build-ca.pem /etc/ssl/certs/build-ca.pem
RUN setcap cap_net_raw+ep /usr/bin/python3.11
RUN pip3 install --break-system-packages --no-cache-dir --cert /etc/ssl/certs/build-ca.pem \
    six==1.16.0 idna==3.7
WORKDIR /app
RUN npm install --cafile /etc/ssl/certs/build-ca.pem --no-audit --no-fund --no-update-notifier \
    is-number@7.0.0 ms@2.1.3
RUN rm -rf /usr/share/doc /usr/share/man /etc/ssl/certs/build-ca.pem
ENV NODE_PATH=/app/node_modules
CMD ["python3"]
