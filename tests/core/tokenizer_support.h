// Helpers of the tokenizer suites (test_tokenizers, test_sentencepiece): the shared data's tokenizer files,
// id lists compared with a readable failure, and errors as QString.
#pragma once

#include <QByteArray>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonValue>
#include <QStringList>
#include <QtTest>
#include <string>
#include <vector>

#include "ce/core/base/error.h"
#include "test_support.h"

namespace ce::test::tokenizers {

using ce::test::read_json;
using ce::test::shared_data;

inline QString data_path(const QString& relative) { return shared_data(relative); }

inline std::string path_of(const QString& relative) { return data_path(relative).toStdString(); }

inline std::vector<int> to_ids(const QJsonValue& value) {
  std::vector<int> ids;
  for (const QJsonValue& id : value.toArray()) ids.push_back(id.toInt());
  return ids;
}

inline std::vector<std::string> to_strings(const QJsonValue& value) {
  std::vector<std::string> strings;
  for (const QJsonValue& s : value.toArray()) strings.push_back(s.toString().toStdString());
  return strings;
}

inline QString show(const std::vector<int>& ids) {
  QStringList parts;
  for (int id : ids) parts << QString::number(id);
  return QLatin1Char('[') + parts.join(QLatin1String(", ")) + QLatin1Char(']');
}

inline std::vector<int> concat(std::vector<int> a, const std::vector<int>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

inline bool write_file(const QString& path, const QByteArray& bytes) {
  QFile file(path);
  return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

// Runs `fn` and returns the Error text, or "" when nothing (or something else) was thrown.
template <typename Fn>
QString error_of(Fn&& fn) {
  try {
    fn();
  } catch (const ce::core::Error& e) {
    return QString::fromStdString(e.what());
  } catch (...) {
    return QStringLiteral("<non-Error exception>");
  }
  return {};
}

#define REQUIRE_DATA(relative)                                                                   \
  do {                                                                                           \
    if (!QFileInfo::exists(data_path(relative))) {                                               \
      QSKIP(qPrintable(QStringLiteral("test data %1 is absent (expected beside the checkout in " \
                                      "../shared/data); skipping")                               \
                           .arg(data_path(relative))));                                          \
    }                                                                                            \
  } while (false)

#define COMPARE_IDS(actual, expected, what)                                    \
  do {                                                                         \
    const std::vector<int> actual_ids = (actual);                              \
    const std::vector<int> expected_ids = (expected);                          \
    if (actual_ids != expected_ids) {                                          \
      QFAIL(qPrintable(QStringLiteral("%1:\n   actual %2\n expected %3")       \
                           .arg(what, show(actual_ids), show(expected_ids)))); \
    }                                                                          \
  } while (false)

inline const char* const kLlama3Model = "llama3-tokenizer/tokenizer.model";
inline const char* const kLlama3Vectors = "llama3-tokenizer/test_vectors.json";
inline const char* const kLlama2Model = "llama2-tokenizer/tokenizer.model";
inline const char* const kLlama2Vectors = "llama2-tokenizer/test_vectors.json";
inline const char* const kStoriesModel = "stories260K/hf/tokenizer.model";
inline const char* const kStoriesReference = "stories260K/reference.json";

}  // namespace ce::test::tokenizers
