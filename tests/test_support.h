// Helpers shared by the test suites: the message of a thrown ce::core::Error, circuit-trace run as a
// separate process, and the shared data's reference files.
#pragma once

#include <QByteArray>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStringList>
#include <string>
#include <vector>

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

// A path under ../shared/data (whether or not it exists: suites skip with a message without it).
inline QString shared_data(const QString& rel) { return QStringLiteral(CE_SHARED_DATA_DIR "/") + rel; }

// The JSON object in `path`; {} when the file cannot be read or holds no object.
inline QJsonObject read_json(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return QJsonDocument::fromJson(f.readAll()).object();
}

inline std::vector<int> to_ints(const QJsonArray& a) {
  std::vector<int> v;
  for (const auto& x : a) v.push_back(x.toInt());
  return v;
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
