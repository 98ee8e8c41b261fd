# strata-test/kid:1: one step on the base, so the base is its parent; saved together with the
# base (`docker save base kid`), the archive records the Parent link.
FROM strata-test/base:1
RUN echo kid > /kid
