// Session JSON (ui/state): a session that loads must write itself back and load again unchanged.
#include <QJsonDocument>

#include "fuzz_target.h"
#include "state/session.h"

CE_FUZZ_TARGET(session) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string path = ce::fuzz::write_scratch("session.json", data, size);
  ce::fuzz::run_guarded(
      [&] {
        const auto session = ce::ui::Session::load(QString::fromStdString(path));
        const QJsonObject back = session.toJson();
        const QJsonObject again = ce::ui::Session::fromJson(back).toJson();
        if (again != back) {
          std::fprintf(stderr, "ce-fuzz: the session does not round-trip:\n%s\n%s\n",
                       QJsonDocument(back).toJson().constData(), QJsonDocument(again).toJson().constData());
          std::abort();
        }
      },
      path, input);
}
