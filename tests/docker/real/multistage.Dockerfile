# strata-test/multistage:1: FROM scratch with files copied out of a build stage.
FROM strata-test/bookworm:1 AS build
RUN mkdir -p /out/bin /out/etc && cp /bin/bash /out/bin/ && ln -s bash /out/bin/sh \
 && echo 'root:x:0:0:root:/root:/bin/bash' > /out/etc/passwd
FROM scratch
COPY --from=build /out/ /
COPY --from=build /usr/lib/x86_64-linux-gnu/libc.so.6 /usr/lib/x86_64-linux-gnu/libtinfo.so.6 /lib/x86_64-linux-gnu/
COPY --from=build /lib64/ld-linux-x86-64.so.2 /lib64/
ENTRYPOINT ["/bin/bash"]
