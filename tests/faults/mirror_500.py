# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A broken mirror for the fault suite: answers every request with 500 Internal Server Error.

    python3 tests/faults/mirror_500.py ADDRESS PORT

Started by conftest.py on the SSH fleet's mirror address and port once the real mirror is stopped
(ssh-fleet.sh mirror stop), so that the hosts reach a mirror that is up but fails, as an overloaded or
misconfigured one does; stopped with SIGTERM.
"""

import sys

from http.server import BaseHTTPRequestHandler, HTTPServer


class Failing(BaseHTTPRequestHandler):
    def answer(self):
        body = b'simulated mirror failure (tencentos.fleet fault suite)\n'
        self.send_response(500)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    do_GET = answer
    do_HEAD = answer

    def log_message(self, *args):
        pass


def main():
    HTTPServer((sys.argv[1], int(sys.argv[2])), Failing).serve_forever()


if __name__ == '__main__':
    main()
