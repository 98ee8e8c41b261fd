# strata-test/fs:1: every case of the merge engine, for `export`/`unpack`/`changes` against
# docker export and umoci unpack.
FROM strata-test/base:1
# Layer 1: files, a tree, hardlinks, symlinks (absolute and relative), odd names.
RUN mkdir -p /d1/sub /d2 /r /todir /keep && echo a > /d1/sub/f && echo b > /d2/g \
 && echo one > /over && ln /d2/g /d2/hard && ln -s /d2/g /abs-link && ln -s ../d2/g /r/rel-link \
 && echo x > /todir/x && echo y > /tofile && printf 'sp' > '/with space' \
 && printf 'nl' > "$(printf '/new\nline')" && printf 'bin' > "$(printf '/bin\377ary')" \
 && echo kept > /keep/k && chmod 0640 /keep/k && chown 1000:1000 /keep/k && mkfifo /fifo
# Layer 2: delete a file, delete a directory and recreate it, directory → file and
# file → directory, overwrite, a hardlink across layers.
RUN rm /d1/sub/f && rm -rf /d2 && mkdir /d2 && echo new > /d2/new && echo two > /over \
 && rm -rf /todir && echo nowfile > /todir && rm /tofile && mkdir /tofile && echo in > /tofile/in \
 && ln /etc/passwd /passwd-hard
# Layer 3: the third write of /over; the file becomes a directory again; a subtree removed.
RUN echo three > /over && rm /todir && mkdir /todir && echo back > /todir/back && rm -rf /d1 \
 && rm /r/rel-link
