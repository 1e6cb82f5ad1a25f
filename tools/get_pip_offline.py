"""Stand-in for the get-pip.py bootstrap script that ansible-test downloads.

ansible-test fetches get-pip.py from a host that these machines cannot reach, and only
from there.  It runs the script as ``python get_pip.py [pip options] pip==X setuptools==Y``
inside a fresh virtual environment; this stand-in does the same with the interpreter's own
bundled pip (ensurepip) and then installs the requested versions from the package index.
tools/sanity.sh puts it where ansible-test looks for its cached copy.
"""

import subprocess
import sys

# Options of get-pip.py itself, which "pip install" does not know: they only say which of pip,
# setuptools and wheel to leave out, and the requested packages already say what to install.
GET_PIP_ONLY = ('--no-setuptools', '--no-wheel', '--no-pip')

subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'])
subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY])
