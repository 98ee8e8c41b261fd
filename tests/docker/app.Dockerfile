# strata-test/app:1 (also tagged strata-test/alias:latest). Built by scripts/docker-fixtures.sh
# with the legacy builder on strata-test/base:1 (busybox-static import).
FROM strata-test/base:1
LABEL org.example.title="<strata> & \"co\"" \
      org.example.text="café naïve – 日本語のテキスト" \
      org.example.sep="line separator"
LABEL maintainer="Strata Tests <tests@example.com>"
ENV APP_HOME=/app GREETING="héllo 世界 <&>  end"
ENV PATH=/usr/local/bin:/usr/bin:/bin
WORKDIR /app
COPY files/ /app/
ADD vendor.tar.gz /opt/vendor/
RUN rm -rf /usr/share/doc /etc/motd && rm /bin/more
RUN echo 日本語のテキストです日本語のテキストです日本語 > /app/cjk16.txt
RUN echo x日本語のテキストです日本語のテキストです日本語 > /app/cjk17.txt
RUN echo "café naïve <&>   世界 and some more accented éèêë text" > /app/mixed.txt
RUN printf 'a\tb\n' > /app/tab.txt && echo "	tab	in command" >> /app/tab.txt
RUN echo version=2 > /app/config.txt
RUN ln -s /opt/vendor/a/very/long/directory/name/that/keeps/going/and/going/until/it/is/more/than/one/hundred/characters/target.txt /app/longlink \
 && ln -s /does/not/exist /app/dangling \
 && ln /app/app.js /app/app-hardlink.js \
 && mkdir -p /var/log/app /data && chmod 0750 /data && touch /app/app.js
ARG BUILD_VER=1.2.3
ARG UNUSED_ARG
RUN echo "$BUILD_VER" > /app/version
USER 1000:1000
RUN id > /tmp/whoami
VOLUME ["/data", "/var/log/app"]
EXPOSE 8080 53/udp 443/tcp 7000-7001
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/bin/sh", "-c", "test -f /app/config.txt"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/config.txt"]
