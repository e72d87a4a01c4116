#!/usr/bin/python3
"""Run the commcell integration tests.

    /usr/bin/python3 tests/integration/run.py [-k PATTERN] [MODULE ...]

Runs tests/integration/test_*.py (or the named modules, e.g. test_board), prints one line per
test and ends with exactly one line `RESULT integration passed=N failed=M`. Exit status 0 only
when nothing failed. A failure in a class's set-up counts every test of that class as failed.

Environment: COMMCELL_BIN (daemon binary, default build/daemon/commcelld), COMMCELL_SANITIZED=1
(fail on sanitizer reports in the daemon log), COMMCELL_TEST_KEEP=1 (keep state dirs and logs),
COMMCELL_TEST_LOG_LEVEL (daemon log_level, default info), COMMCELL_TEST_CLUSTER (script|private),
COMMCELL_TEST_TIMEOUT (seconds for the whole run, default 1500: under scripts/test's 1800 per suite).
"""

import sys
sys.dont_write_bytecode = True  # keep __pycache__ out of the work tree

import argparse
import faulthandler
import os
import threading
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'harness'))

import commcell_env as ce  # noqa: E402


def iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from iter_tests(t)
        else:
            yield t


class Result(unittest.TestResult):
    def __init__(self, class_sizes):
        super().__init__()
        self.class_sizes = class_sizes
        self.passed = 0
        self.failed = 0
        self.skipped_n = 0
        self.failed_names = []
        self._t0 = None
        self._sub_failed = False

    def _line(self, word, name, extra=''):
        sys.stdout.write('%-5s %s%s\n' % (word, name, extra))
        sys.stdout.flush()

    @staticmethod
    def name(test):
        return test.id().replace('__main__.', '')

    def startTest(self, test):
        super().startTest(test)
        self._t0 = time.monotonic()
        self._sub_failed = False
        sys.stdout.write('..... %s\n' % self.name(test))
        sys.stdout.flush()

    def _took(self):
        return ' (%.1f s)' % (time.monotonic() - self._t0) if self._t0 else ''

    def _report(self, test, err, word):
        self._line(word, self.name(test), self._took())
        text = self._exc_info_to_string(err, test)
        sys.stdout.write('      ' + text.rstrip().replace('\n', '\n      ') + '\n')
        for env in ce.live_envs():
            sys.stdout.write('      --- commcelld log tail (%s) ---\n      %s\n'
                             % (env.daemon.log, env.daemon.log_tail(25).replace('\n', '\n      ')))
        sys.stdout.flush()

    def _class_level(self, test):
        # unittest reports setUpClass/tearDownClass errors with a stand-in "_ErrorHolder"
        return type(test).__name__ == '_ErrorHolder'

    def _count_failure(self, test):
        if self._class_level(test):
            desc = test.description
            n = 1
            if desc.startswith('setUpClass') or desc.startswith('setUpModule'):
                cls = desc[desc.find('(') + 1:desc.rfind(')')]
                n = self.class_sizes.get(cls, 1) or 1
            self.failed += n
            self.failed_names.append(desc + ('' if n == 1 else ' [%d tests]' % n))
        else:
            self.failed += 1
            self.failed_names.append(self.name(test))

    def addError(self, test, err):
        super().addError(test, err)
        self._report(test, err, 'ERROR')
        self._count_failure(test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._report(test, err, 'FAIL')
        self._count_failure(test)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._line('FAIL', subtest.id().replace('__main__.', ''))
            text = self._exc_info_to_string(err, test)
            sys.stdout.write('      ' + text.rstrip().replace('\n', '\n      ') + '\n')
            if not self._sub_failed:
                self._sub_failed = True
                self.failed += 1
                self.failed_names.append(self.name(test))

    def addSuccess(self, test):
        super().addSuccess(test)
        if self._sub_failed:
            self._line('FAIL', self.name(test), self._took() + ' (subtests failed)')
        else:
            self.passed += 1
            self._line('ok', self.name(test), self._took())

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.skipped_n += 1
        self._line('skip', self.name(test), ' (%s)' % reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.passed += 1

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.failed += 1
        self.failed_names.append(self.name(test))


def watchdog(seconds):
    def fire():
        sys.stdout.write('\nrun.py: the whole run took longer than %d s; stacks:\n' % seconds)
        sys.stdout.flush()
        faulthandler.dump_traceback(file=sys.stdout, all_threads=True)
        try:
            ce._cleanup_live_envs()
        finally:
            sys.stdout.write('RESULT integration passed=0 failed=1\n')
            sys.stdout.flush()
            os._exit(3)
    t = threading.Timer(seconds, fire)
    t.daemon = True
    t.start()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('-k', dest='patterns', action='append', default=[],
                    help='only tests whose id contains this (may repeat)')
    ap.add_argument('modules', nargs='*', help='test modules (default: every test_*.py)')
    a = ap.parse_args()

    try:
        ce.require_libs()
    except RuntimeError as e:
        print('run.py: %s' % e)
        print('RESULT integration passed=0 failed=1')
        return 1

    loader = unittest.TestLoader()
    if a.patterns:
        loader.testNamePatterns = ['*%s*' % p for p in a.patterns]
    if a.modules:
        names = [m[:-3] if m.endswith('.py') else m for m in a.modules]
        names = [os.path.basename(n) for n in names]
        suite = loader.loadTestsFromNames(names)
    else:
        suite = loader.discover(HERE, pattern='test_*.py', top_level_dir=HERE)

    tests = list(iter_tests(suite))
    class_sizes = {}
    for t in tests:
        cls = '%s.%s' % (type(t).__module__, type(t).__qualname__)
        class_sizes[cls] = class_sizes.get(cls, 0) + 1

    timeout = int(os.environ.get('COMMCELL_TEST_TIMEOUT', '1500'))
    watchdog(timeout)
    print('commcell integration tests: %d tests, daemon %s%s' % (
        len(tests), ce.default_bin(),
        ', sanitized' if ce.sanitized() else ''))
    if not os.access(ce.default_bin(), os.X_OK):
        print('run.py: %s is missing: build the daemon first (or set COMMCELL_BIN)'
              % ce.default_bin())
    sys.stdout.flush()

    result = Result(class_sizes)
    t0 = time.monotonic()
    try:
        suite.run(result)
    except KeyboardInterrupt:
        traceback.print_exc()
        result.failed += 1
    finally:
        ce._cleanup_live_envs()
    print('')
    print('took %.1f s' % (time.monotonic() - t0))
    print('integration: %d passed, %d failed, %d skipped' % (result.passed, result.failed,
                                                             result.skipped_n))
    for n in result.failed_names:
        print('failed: %s' % n)
    print('RESULT integration passed=%d failed=%d' % (result.passed, result.failed))
    sys.stdout.flush()
    return 1 if result.failed else 0


if __name__ == '__main__':
    sys.exit(main())
