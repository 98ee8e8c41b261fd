# strata-test/child:1: built FROM an image with ONBUILD triggers; CMD reset to exec form.
FROM strata-test/shell:1
WORKDIR relative/dir
HEALTHCHECK --interval=5s CMD echo ok
CMD ["echo", "child"]
