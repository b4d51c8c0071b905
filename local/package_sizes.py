"""Prints the size of every function's deployment zip after `sam build` (make package).

Zips each .aws-sam/build/<Function>/ the way `sam deploy` does (deflate) in memory and
prints one line per function, largest first, then the total and the largest. Exits 1 when
the build directory holds no function (sam build did not run or failed).
"""

import io
import os
import sys
import zipfile

LAMBDA_ZIP_LIMIT = 50 * 1024 * 1024  # direct upload limit; S3 uploads allow 250 MB unzipped


def zipped_size(directory):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for root, _, files in os.walk(directory):
            for name in sorted(files):
                path = os.path.join(root, name)
                z.write(path, os.path.relpath(path, directory))
    return len(buf.getvalue())


def main(build_dir):
    rows = []
    for name in sorted(os.listdir(build_dir) if os.path.isdir(build_dir) else []):
        d = os.path.join(build_dir, name)
        bootstrap = os.path.join(d, "bootstrap")
        if os.path.isfile(bootstrap):
            rows.append((zipped_size(d), os.path.getsize(bootstrap), name))
    if not rows:
        print(f"no function in {build_dir}: run sam build first", file=sys.stderr)
        return 1
    rows.sort(reverse=True)
    mib = lambda n: f"{n / 1024 / 1024:6.2f} MiB"
    print(f"{'function':<40} {'zip':>10} {'bootstrap':>10}")
    for z, raw, name in rows:
        print(f"{name:<40} {mib(z)} {mib(raw)}")
    total = sum(z for z, _, _ in rows)
    print(f"{len(rows)} functions, {mib(total).strip()} zipped in all; largest {rows[0][2]} {mib(rows[0][0]).strip()}, smallest {rows[-1][2]} {mib(rows[-1][0]).strip()}")
    too_big = [name for z, _, name in rows if z > LAMBDA_ZIP_LIMIT]
    if too_big:
        print("over Lambda's 50 MB zip limit: " + ", ".join(too_big), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".aws-sam/build"))
