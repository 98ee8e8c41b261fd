# strata-test/newline:1: a RUN whose command contains a real newline (JSON string escape).
FROM strata-test/base:1
RUN ["/bin/sh", "-c", "echo first > /nl.txt\necho second >> /nl.txt"]
CMD ["/bin/sh"]
