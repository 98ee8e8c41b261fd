# strata-test/shell:1: SHELL, ONBUILD, shell-form ENTRYPOINT/CMD, STOPSIGNAL by number.
FROM strata-test/base:1
SHELL ["/bin/sh", "-e", "-c"]
RUN echo "with a custom shell" > /shell.txt
ENV EMPTY="" MULTI="a b  c"
LABEL "label with spaces"="value with separator" empty=""
ONBUILD RUN echo triggered > /onbuild.txt
ONBUILD LABEL child=yes
STOPSIGNAL 9
HEALTHCHECK NONE
ENTRYPOINT echo "entrypoint in shell form"
CMD echo ignored
