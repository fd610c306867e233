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

// build/bin/circuit-trace with `args`, waited for up to two minutes.
inline CliResult run_cli(const QStringList& args) {
  QProcess p;
  p.start(QStringLiteral(CE_BIN_DIR "/circuit-trace"), args);
  p.waitForFinished(120000);
  return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}

}  // namespace ce::test
