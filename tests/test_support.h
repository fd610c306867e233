// Helpers shared by the test suites: the message of a thrown ce::core::Error, and circuit-trace run as a
// separate process.
#pragma once

#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStringList>
#include <string>

#include "ce/core/base/error.h"

namespace ce::test {

// The message of the ce::core::Error `f` throws, or "" when it throws none. Any other exception escapes
// and fails the test: hostile input must surface as Error, never as a JSON or allocation error.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ce::core::Error& e) {
    return e.what();
  }
  return "";
}

struct CliResult {
  int code = -1;
  QByteArray out, err;
  QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
};

// build/bin/circuit-trace with `args`, waited for up to ten minutes (a loaded 2-core machine runs the slowest
// command in about two). A run that does not finish is killed and returned with code -1 and a message, so
// that a test never reads the exit code of a process still running (0) as success.
inline CliResult run_cli(const QStringList& args) {
  QProcess p;
  p.start(QStringLiteral(CE_BIN_DIR "/circuit-trace"), args);
  if (!p.waitForFinished(600000)) {
    p.kill();
    p.waitForFinished();
    return {-1, p.readAllStandardOutput(), "circuit-trace did not finish within 10 minutes: " + args.join(' ').toUtf8()};
  }
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
          p.readAllStandardError()};
}

}  // namespace ce::test
