// Exemplar rows and the hover texts of a trace, read from the shipped index and from a corrupted copy: a bad
// record costs that neuron its text, never the trace that asked for it.
#include <QTemporaryDir>
#include <QTest>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "ce/core/base/resources.h"
#include "panels/exemplar_rows.h"
#include "test_support.h"

using namespace ce::core;

class TestExemplarRows : public QObject {
  Q_OBJECT

  std::unique_ptr<Model> geo_;
  QTemporaryDir tmp_;

  static std::vector<NodeEffect> traced() {
    NodeEffect a, b;
    a.node = {3, 10, 701};
    b.node = {0, 6, 5};
    return {a, b};
  }

 private Q_SLOTS:
  void initTestCase() {
    LoadOptions o;
    o.threads = 1;
    geo_ = Model::open(default_model_dir(), o);
    QVERIFY(tmp_.isValid());
  }

  void firstExemplarsOfTheShippedIndex() {
    const auto index = find_exemplar_index(*geo_, Basis::MlpAct);
    QVERIFY(index);
    const ce::ui::FirstExemplars texts = ce::ui::firstExemplarTexts(*geo_, *index, traced(), {});
    QCOMPARE(texts.size(), size_t{2});
    // The README's walkthrough: L3/N701's best exemplar peaks on " in" after a city, at 36.56.
    const QString l3 = texts.at({3, 701});
    QVERIFY2(l3.contains(QStringLiteral("(36.6 on \u201c in\u201d)")), qPrintable(l3));
  }

  void repeatedExemplarsAreMerged() {
    // The shipped corpus repeats sentences: L0/N14's negative records 2 to 5 are one window's text peaking on
    // the same token, four times. The panel lists it once and fills the rows with the next distinct ones.
    const auto index = find_exemplar_index(*geo_, Basis::MlpAct);
    QVERIFY(index);
    const auto raw = index->exemplars(0, 14, Polarity::Negative, 8);
    QCOMPARE(raw.size(), size_t{8});
    for (size_t i = 3; i <= 5; ++i) {
      QCOMPARE(raw[i].tokens, raw[2].tokens);
      QCOMPARE(raw[i].position, raw[2].position);
      QVERIFY(raw[i].window != raw[2].window);
    }
    const auto rows = ce::ui::exemplarRows(*geo_, *index, 0, 14, Polarity::Negative, 5);
    QCOMPARE(rows.size(), size_t{5});
    const size_t from[] = {0, 1, 2, 6, 7};  // the raw records the rows show
    for (size_t r = 0; r < rows.size(); ++r) {
      QCOMPARE(rows[r].activation, static_cast<double>(raw[from[r]].activation));
      for (size_t q = 0; q < r; ++q)
        QVERIFY(rows[q].text != rows[r].text || rows[q].maxStart != rows[r].maxStart);
    }
    // The CLI's `neuron` shows the same merged list (one rule: distinct_exemplars).
    const auto distinct = distinct_exemplars(*index, 0, 14, Polarity::Negative, 5);
    QCOMPARE(distinct.size(), size_t{5});
    QCOMPARE(distinct[3].window, raw[6].window);
  }

  void corruptedRecordsCostOnlyTheirNeuron() {
    // Every record's window points past the stored windows (the campaign's "window 4294967294 out of range").
    const std::string shipped = resources_dir() + "/exemplars/geo_mlp_act.cexi";
    std::ifstream in(shipped, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto good = ExemplarIndex::open(shipped);
    const ExemplarIndexInfo& info = good->info();
    const size_t records = static_cast<size_t>(info.layers) * static_cast<size_t>(info.neurons) * 2 *
                           static_cast<size_t>(info.top_k);
    const size_t first = 160 + 8;  // header, shard bitmap padded to 8 bytes
    for (size_t r = 0; r < records; ++r) {
      const size_t window = first + r * 12 + 4;  // {float activation, u32 window, u32 position}
      if (static_cast<unsigned char>(bytes[window]) == 0xFF && static_cast<unsigned char>(bytes[window + 3]) == 0xFF)
        continue;  // an empty slot stays empty
      bytes[window] = static_cast<char>(0xFE);
      for (int i = 1; i < 4; ++i) bytes[window + static_cast<size_t>(i)] = static_cast<char>(0xFF);
    }
    const std::string bad = tmp_.filePath(QStringLiteral("bad.cexi")).toStdString();
    std::ofstream(bad, std::ios::binary) << bytes;
    const auto index = ExemplarIndex::open(bad);
    const std::string e = ce::test::error_of([&] { index->exemplars(3, 701, Polarity::Positive, 1); });
    QVERIFY2(e.find("corrupted exemplar index: window") != std::string::npos, e.c_str());
    ce::ui::FirstExemplars texts;
    try {
      texts = ce::ui::firstExemplarTexts(*geo_, *index, traced(), {});
    } catch (const std::exception& x) {
      QFAIL(x.what());
    }
    QVERIFY(texts.empty());
  }
};

QTEST_GUILESS_MAIN(TestExemplarRows)
#include "test_exemplar_rows.moc"
