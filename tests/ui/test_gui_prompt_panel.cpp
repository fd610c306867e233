// The prompt panel and what fills it, on the demo model: the answer fields' live tokenization with its
// one-click fix, and sessions that either load whole or change nothing (bad kinds, unknown keys, ranges
// against the model), with the unsaved-changes question before Open Session and its dialog's remembered folder.
#include <QApplication>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QStandardPaths>
#include <QTemporaryDir>

#include "gui_support.h"
#include "node_key.h"
#include "panels/prompt_panel.h"
#include "state/intervention_state.h"
#include "window/file_dialogs.h"

using ce::test::key;
using ce::ui::MainWindow;

namespace {

// What the window shows and a session would replace.
struct Visible {
  std::vector<ce::ui::SteeringGroup> groups;
  std::map<ce::ui::NodeKey, double> factors;
  ce::ui::TraceSettings trace;
};

Visible visible(const MainWindow& w) {
  return {w.interventions()->groups(), w.interventions()->nodeFactors(), w.promptPanel()->settings()};
}

void compareVisible(const Visible& a, const Visible& b) {
  QCOMPARE(a.groups.size(), b.groups.size());
  for (size_t i = 0; i < a.groups.size(); ++i) {
    QCOMPARE(a.groups[i].name, b.groups[i].name);
    QVERIFY(a.groups[i].nodes == b.groups[i].nodes);
    QCOMPARE(a.groups[i].factor, b.groups[i].factor);
  }
  QVERIFY(a.factors == b.factors);
  QCOMPARE(a.trace.prompt, b.trace.prompt);
  QCOMPARE(a.trace.answer, b.trace.answer);
  QCOMPARE(a.trace.topK, b.trace.topK);
}

}  // namespace

class TestGuiPromptPanel : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
  void init() { ce::test::openExplorer(w_); }
  void cleanup() { w_.reset(); }

  void answerHintOffersTheOneTokenSpelling() {
    ce::ui::PromptPanel* p = w_->promptPanel();
    QCOMPARE(p->answerHint()->label()->text(), QStringLiteral("' Austin' = 1 token"));
    QCOMPARE(p->contrastHint()->label()->text(), QStringLiteral("' Sacramento' = 1 token"));
    QVERIFY(!p->answerHint()->fixButton()->isVisibleTo(p));
    // Typed as a user would, without the leading space: three tokens as the trace would split them.
    p->answerField()->clear();
    QTest::keyClicks(p->answerField(), QStringLiteral("Austin"));
    QCOMPARE(p->answerHint()->label()->text(), QStringLiteral("'Austin' = 3 tokens: A|ust|in"));
    QVERIFY(p->answerHint()->fixButton()->isVisibleTo(p));
    QCOMPARE(p->answerHint()->fixButton()->text(), QStringLiteral("Use ' Austin' (1 token)"));
    QTest::mouseClick(p->answerHint()->fixButton(), Qt::LeftButton);
    QCOMPARE(p->answerField()->text(), QStringLiteral(" Austin"));
    QCOMPARE(p->answerHint()->label()->text(), QStringLiteral("' Austin' = 1 token"));
    QVERIFY(!p->answerHint()->fixButton()->isVisibleTo(p));
    // No fix where the spaced text is no single token either.
    p->contrastField()->setText(QStringLiteral("Austin Texas"));
    QVERIFY(p->contrastHint()->label()->text().startsWith(QStringLiteral("'Austin Texas' = ")));
    QVERIFY(!p->contrastHint()->fixButton()->isVisibleTo(p));
    p->contrastField()->clear();
    QCOMPARE(p->contrastHint()->label()->text(), QString());
  }

  void badSessionsChangeNothing_data() {
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<QString>("message");  // after "<path>: " for file errors, alone for range errors
    QTest::addColumn<bool>("fileError");
    QTest::newRow("kinds") << QByteArray(R"({"format":1,"groups":"oops","prompt":42})")
                           << QStringLiteral("groups: expected an array, found a string") << true;
    QTest::newRow("unknown key") << QByteArray(R"({"format":1,"trace":{"prompt":"Other"},"grops":[]})")
                                 << QStringLiteral("grops: unknown key (known here: format, program, program_version, "
                                                   "model, model_dir, model_hash, trace, groups, node_interventions, "
                                                   "labels, pins, prompt_set)")
                                 << true;
    QTest::newRow("range") << QByteArray(R"({"format":1,"model":"demo","trace":{"prompt":"Other"},"groups":[{"name":"g",
        "nodes":[{"layer":0,"pos":-1,"index":999999}]}],"node_interventions":[{"layer":1,"pos":2,"index":3,"factor":0}]})")
                           << QStringLiteral("groups[0].nodes[0].index: 999999 is out of range (the model has 768 neurons per layer)")
                           << false;
  }

  void badSessionsChangeNothing() {
    QFETCH(QByteArray, contents);
    QFETCH(QString, message);
    QFETCH(bool, fileError);
    // Something the user made, for the bad session to leave alone.
    w_->interventions()->addGroup(QStringLiteral("mine"), {key(3, 10, 701), key(0, 6, 5)});
    w_->interventions()->setNodeFactor(key(2, 9, 636), 4.0);
    const Visible before = visible(*w_);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("bad.json"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(contents);
    f.close();
    QSignalSpy loaded(w_.get(), &MainWindow::modelLoaded);
    QSignalSpy traced(w_.get(), &MainWindow::traceFinished);
    QCOMPARE(w_->openSession(path), !fileError);
    QCOMPARE(w_->lastError(), fileError ? path + QStringLiteral(": ") + message : message);
    compareVisible(visible(*w_), before);
    QTest::qWait(200);  // nothing was started either: no model load, no trace
    QCOMPARE(loaded.count(), 0);
    QCOMPARE(traced.count(), 0);
  }

  void openSessionAsksAboutUnsavedChanges() {
    w_->interventions()->setNodeFactor(key(2, 9, 636), 4.0);
    QVERIFY(w_->isDirty());
    QAction* open = nullptr;
    for (QAction* menu : w_->menuBar()->actions()) {
      if (menu->menu() && !open) open = ce::test::findAction(menu->menu(), QStringLiteral("Open &Session…"));
    }
    QVERIFY(open);
    // Answers each dialog as it comes: `reply` to the question, Cancel to a file dialog; records what came.
    QStringList seen;
    auto answering = [&seen](QMessageBox::StandardButton reply) {
      auto timer = std::make_unique<QTimer>();
      QObject::connect(timer.get(), &QTimer::timeout, [&seen, reply] {
        QWidget* modal = QApplication::activeModalWidget();
        if (auto* box = qobject_cast<QMessageBox*>(modal)) {
          seen << box->text();
          box->button(reply)->click();
        } else if (auto* files = qobject_cast<QFileDialog*>(modal)) {
          seen << files->windowTitle() + QStringLiteral(" in ") + files->directory().absolutePath();
          files->reject();
        }
      });
      timer->start(50);
      return timer;
    };
    const QString question = QStringLiteral("The session has unsaved changes. Save them before opening another?");
    // File dialogs open where the last one of their kind was answered.
    QTemporaryDir last;
    ce::ui::rememberDialogFolder(QStringLiteral("session"), last.filePath(QStringLiteral("saved.json")));
    QCOMPARE(ce::ui::dialogFolder(QStringLiteral("session")), last.path());
    const Visible before = visible(*w_);
    {
      const auto t = answering(QMessageBox::Cancel);
      open->trigger();
    }
    QCOMPARE(seen, QStringList{question});  // Cancel: not even the file dialog
    compareVisible(visible(*w_), before);
    QVERIFY(w_->isDirty());
    seen.clear();
    {
      const auto t = answering(QMessageBox::Discard);
      open->trigger();
    }
    QCOMPARE(seen, (QStringList{question, QStringLiteral("Open Session in ") + last.path()}));
    compareVisible(visible(*w_), before);
  }

 private:
  std::unique_ptr<MainWindow> w_;
};

QTEST_MAIN(TestGuiPromptPanel)
#include "test_gui_prompt_panel.moc"
