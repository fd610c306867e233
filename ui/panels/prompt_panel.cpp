#include "panels/prompt_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <utility>

namespace ce::ui {

namespace {
constexpr int kSliderSteps = 1000;
constexpr double kDecades = 3;  // the slider spans 10^-3 … 1 of the largest |effect|, and 0
// The basis list's item role holding a feature basis' dictionary folder (empty for the neuron bases).
constexpr int kDictionaryRole = Qt::UserRole + 1;

double sliderToThreshold(int v, double maxEffect) {
  if (v <= 0 || maxEffect <= 0) return 0;
  return maxEffect * std::pow(10.0, kDecades * (static_cast<double>(v) / kSliderSteps - 1));
}

int thresholdToSlider(double threshold, double maxEffect) {
  if (threshold <= 0 || maxEffect <= 0) return 0;
  const double v = (std::log10(threshold / maxEffect) / kDecades + 1) * kSliderSteps;
  return std::clamp(static_cast<int>(std::lround(v)), 1, kSliderSteps);
}
}  // namespace

PromptPanel::PromptPanel(QWidget* parent)
    : QWidget(parent),
      prompt_(new QLineEdit(this)),
      answer_(new QLineEdit(this)),
      contrast_(new QLineEdit(this)),
      patch_(new QLineEdit(this)),
      tokens_(new QLabel(this)),
      answerHint_(new AnswerHint(answer_, this)),
      contrastHint_(new AnswerHint(contrast_, this)),
      method_(new QComboBox(this)),
      basis_(new QComboBox(this)),
      metric_(new QComboBox(this)),
      topK_(new QSpinBox(this)),
      threshold_(new QSlider(Qt::Horizontal, this)),
      thresholdSpin_(new QDoubleSpinBox(this)),
      thresholdLabel_(new QLabel(this)),
      edges_(new QCheckBox(tr("RelP edges between the top 30 nodes"), this)),
      chat_(new QCheckBox(tr("Chat template (&instruct models)"), this)),
      trace_(new QPushButton(tr("&Trace"), this)) {
  auto* form = new QFormLayout();
  form->addRow(tr("&Prompt:"), prompt_);
  form->addRow(tr("&Answer:"), answer_);
  form->addRow(QString(), answerHint_);
  form->addRow(tr("&Contrast:"), contrast_);
  form->addRow(QString(), contrastHint_);
  form->addRow(tr("Patc&h prompt:"), patch_);
  form->addRow(chat_);  // checkboxes and the button span the label column: the panel fits a narrow dock
  setChatTemplateAvailable(false);
  prompt_->setToolTip(tr("The text whose next token is explained"));
  answer_->setToolTip(tr("One token, with its leading space (\" Austin\"); empty: the model's top-1"));
  contrast_->setToolTip(
      tr("The competing answer; the metric is logit(answer) − logit(contrast); empty: the "
         "model's top-2"));
  patch_->setToolTip(tr("A prompt of the same token length whose activations are the baseline (optional)"));
  tokens_->setWordWrap(true);
  tokens_->setTextFormat(Qt::RichText);
  form->addRow(tr("Tokens:"), tokens_);

  method_->addItem(tr("RelP"), static_cast<int>(ce::core::Method::RelP));
  method_->addItem(tr("Integrated Gradients"), static_cast<int>(ce::core::Method::IG));
  method_->addItem(tr("AtP"), static_cast<int>(ce::core::Method::AtP));
  basis_->addItem(tr("MLP activations"), static_cast<int>(ce::core::Basis::MlpAct));
  basis_->addItem(tr("MLP output"), static_cast<int>(ce::core::Basis::MlpOut));
  basis_->addItem(tr("Attention"), static_cast<int>(ce::core::Basis::Attn));
  basis_->addItem(tr("Residual stream"), static_cast<int>(ce::core::Basis::Resid));
  metric_->addItem(tr("logit(answer) − logit(contrast)"), static_cast<int>(ce::core::Metric::Diff));
  metric_->addItem(tr("logit(answer)"), static_cast<int>(ce::core::Metric::Logit));
  metric_->addItem(tr("Sum of the top-5 logits"), static_cast<int>(ce::core::Metric::TopK));
  metric_->setToolTip(
      tr("What the effects explain, at the last position; the top-5 sum follows the model's own "
         "predictions (the paper's case studies)"));
  // The combos take the dock's width rather than their longest item's: the window must fit 1024 px (issue #15).
  for (QComboBox* c : {method_, basis_, metric_}) {
    c->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    c->setMinimumContentsLength(12);
  }
  topK_->setRange(1, 20000);
  topK_->setValue(60);
  topK_->setToolTip(tr("Nodes shown: the k largest |effect|"));
  edges_->setChecked(true);
  edges_->setToolTip(tr("Edges exist for MLP neurons only; they take one backward pass per neuron"));
  form->addRow(tr("&Method:"), method_);
  form->addRow(tr("&Basis:"), basis_);
  form->addRow(tr("M&etric:"), metric_);
  form->addRow(tr("Top &k:"), topK_);
  threshold_->setRange(0, kSliderSteps);
  threshold_->setFocusPolicy(Qt::StrongFocus);  // some styles give sliders no tab focus
  // Typed values take effect on Enter or leaving the field, not per keystroke: one threshold (and one undo
  // step) per edit.
  thresholdSpin_->setKeyboardTracking(false);
  thresholdSpin_->setRange(0, 1e9);
  thresholdSpin_->setDecimals(4);
  thresholdSpin_->setToolTip(tr("The threshold as a number: nodes with a smaller |effect| are hidden (0: off)"));
  threshold_->setToolTip(
      tr("Hide nodes whose |effect| is below the threshold (log scale up to the largest "
         "effect); hidden nodes count as outside the circuit"));
  auto* thresholdRow = new QVBoxLayout();
  auto* thresholdLine = new QHBoxLayout();
  thresholdLine->addWidget(threshold_, 1);
  thresholdLine->addWidget(thresholdSpin_);
  thresholdRow->addLayout(thresholdLine);
  thresholdRow->addWidget(thresholdLabel_);
  // A layout row gets no buddy by itself, and a label without one would show the '&'.
  auto* thresholdName = new QLabel(tr("Th&reshold:"), this);
  thresholdName->setBuddy(threshold_);
  form->addRow(thresholdName, thresholdRow);
  setShownCount(0, 0);
  form->addRow(edges_);
  trace_->setToolTip(tr("Run the attribution on a worker thread (F5)"));
  form->addRow(trace_);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addStretch(1);

  connect(prompt_, &QLineEdit::textEdited, this, &PromptPanel::promptEdited);
  // The answer's tokens depend on the prompt before it and on the chat template, so every one of them
  // refreshes both hints (eight short encodes: microseconds).
  for (QLineEdit* e : {prompt_, answer_, contrast_})
    connect(e, &QLineEdit::textChanged, this, &PromptPanel::refreshHints);
  connect(chat_, &QCheckBox::toggled, this, &PromptPanel::refreshHints);
  connect(chat_, &QCheckBox::toggled, this, &PromptPanel::promptEdited);
  connect(trace_, &QPushButton::clicked, this, &PromptPanel::traceRequested);
  connect(threshold_, &QSlider::valueChanged, this, [this](int v) {
    thresholdValue_ = sliderToThreshold(v, maxEffect_);
    const QSignalBlocker block(thresholdSpin_);
    thresholdSpin_->setValue(thresholdValue_);
    Q_EMIT thresholdChanged(thresholdValue_);
  });
  connect(thresholdSpin_, &QDoubleSpinBox::valueChanged, this, [this](double v) {
    thresholdValue_ = v;
    const QSignalBlocker block(threshold_);
    threshold_->setValue(thresholdToSlider(thresholdValue_, maxEffect_));
    Q_EMIT thresholdChanged(thresholdValue_);
  });
  // Names for the tab order's test and for style sheets; the order itself is MainWindow::applyTabOrder's.
  const std::pair<QWidget*, const char*> names[] = {
      {prompt_, "prompt"},       {answer_, "answer"},         {answerHint_->fixButton(), "answerFix"},
      {contrast_, "contrast"},   {contrastHint_->fixButton(), "contrastFix"},
      {patch_, "patch"},         {chat_, "chatTemplate"},     {method_, "method"},
      {basis_, "basis"},         {metric_, "metric"},         {topK_, "topK"},
      {threshold_, "threshold"}, {thresholdSpin_, "thresholdValue"},
      {edges_, "edges"},         {trace_, "trace"}};
  for (const auto& [w, name] : names) w->setObjectName(QString::fromLatin1(name));
  for (QLineEdit* e : {prompt_, answer_, contrast_, patch_})
    connect(e, &QLineEdit::returnPressed, this, &PromptPanel::traceRequested);
}

TraceSettings PromptPanel::settings() const {
  TraceSettings s;
  s.prompt = prompt_->text();
  s.answer = answer_->text();
  s.contrast = contrast_->text();
  s.patch = patch_->text();
  s.method = static_cast<ce::core::Method>(method_->currentData().toInt());
  s.basis = static_cast<ce::core::Basis>(basis_->currentData().toInt());
  if (s.basis == ce::core::Basis::Features) s.dictionaries = basis_->currentData(kDictionaryRole).toString();
  s.metric = static_cast<ce::core::Metric>(metric_->currentData().toInt());
  s.topK = topK_->value();
  s.threshold = thresholdValue_;
  s.edges = edges_->isChecked();
  s.chat = chat_->isChecked();
  return s;
}

void PromptPanel::setSettings(const TraceSettings& s) {
  prompt_->setText(s.prompt);
  answer_->setText(s.answer);
  contrast_->setText(s.contrast);
  patch_->setText(s.patch);
  method_->setCurrentIndex(std::max(0, method_->findData(static_cast<int>(s.method))));
  const int basisRow = s.basis == ce::core::Basis::Features ? addDictionarySet(s.dictionaries)
                                                            : basis_->findData(static_cast<int>(s.basis));
  basis_->setCurrentIndex(std::max(0, basisRow));
  metric_->setCurrentIndex(std::max(0, metric_->findData(static_cast<int>(s.metric))));
  topK_->setValue(s.topK);
  edges_->setChecked(s.edges);
  {
    const QSignalBlocker block(chat_);
    chat_->setChecked(s.chat);
  }
  thresholdValue_ = std::max(0.0, s.threshold);
  showThreshold();
}

QList<QWidget*> PromptPanel::focusOrder() const {
  return {prompt_, answer_,  answerHint_->fixButton(), contrast_, contrastHint_->fixButton(), patch_,
          chat_,   method_,  basis_,   metric_,   topK_,      threshold_,
          thresholdSpin_,   edges_,   trace_};
}

void PromptPanel::showThreshold() {
  const QSignalBlocker blockSlider(threshold_), blockSpin(thresholdSpin_);
  threshold_->setValue(thresholdToSlider(thresholdValue_, maxEffect_));
  thresholdSpin_->setValue(thresholdValue_);
}

void PromptPanel::setAnswerTokenizer(AnswerPieces pieces) {
  answerPieces_ = std::move(pieces);
  refreshHints();
}

void PromptPanel::refreshHints() {
  for (AnswerHint* h : {answerHint_, contrastHint_}) h->refresh(answerPieces_, prompt_->text(), chat_->isChecked());
}

void PromptPanel::setEffectRange(double maxAbsEffect) {
  maxEffect_ = std::max(0.0, maxAbsEffect);
  // Digits down to the slider's smallest step (10^-kDecades of the largest effect), and arrow steps of a
  // hundredth of it.
  if (maxEffect_ > 0) {
    const QSignalBlocker block(thresholdSpin_);  // a rounded value is no user's edit
    const int magnitude = static_cast<int>(std::floor(std::log10(maxEffect_)));
    thresholdSpin_->setDecimals(std::clamp(2 + static_cast<int>(kDecades) - magnitude, 2, 12));
    thresholdSpin_->setSingleStep(std::pow(10.0, magnitude - 2));
  }
  // The threshold itself stays: only where the slider shows it changes.
  showThreshold();
}

void PromptPanel::setShownCount(int shown, int total) {
  thresholdLabel_->setText(
      thresholdValue_ > 0
          ? tr("|effect| ≥ %1: %2 of %3 nodes").arg(thresholdValue_, 0, 'g', 3).arg(shown).arg(total)
          : tr("off: all %1 nodes").arg(total));
}

void PromptPanel::setChatTemplateAvailable(bool available) {
  chat_->setToolTip(available ? tr("This model has a chat template: the prompt becomes one user message and "
                                   "the answer starts the assistant's reply")
                              : tr("Format the prompt as a chat turn (Llama 3 headers, or Llama 2 [INST] "
                                   "for SentencePiece models); this model has no chat template"));
  if (available != chat_->isChecked()) chat_->setChecked(available);
}

void PromptPanel::setDictionarySets(const QStringList& folders) {
  const QString chosen = basis_->currentData(kDictionaryRole).toString();
  for (int i = basis_->count() - 1; i >= 0; --i) {
    if (!basis_->itemData(i, kDictionaryRole).toString().isEmpty()) basis_->removeItem(i);
  }
  for (const QString& folder : folders) addDictionarySet(folder);
  if (!chosen.isEmpty()) basis_->setCurrentIndex(std::max(0, basis_->findData(chosen, kDictionaryRole)));
}

QStringList PromptPanel::dictionarySets() const {
  QStringList out;
  for (int i = 0; i < basis_->count(); ++i) {
    const QString folder = basis_->itemData(i, kDictionaryRole).toString();
    if (!folder.isEmpty()) out << folder;
  }
  return out;
}

int PromptPanel::addDictionarySet(const QString& folder) {
  const int row = basis_->findData(folder, kDictionaryRole);
  if (row >= 0) return row;
  basis_->addItem(tr("Features: %1").arg(QFileInfo(folder).fileName()), static_cast<int>(ce::core::Basis::Features));
  basis_->setItemData(basis_->count() - 1, folder, kDictionaryRole);
  basis_->setItemData(basis_->count() - 1, folder, Qt::ToolTipRole);
  return basis_->count() - 1;
}

void PromptPanel::fillAnswers(const QString& answer, const QString& contrast) {
  if (answer_->text().isEmpty()) answer_->setText(answer);
  if (contrast_->text().isEmpty()) contrast_->setText(contrast);
}

void PromptPanel::setTokens(const QStringList& pieces) {
  QString html;
  const QString chip = palette().color(QPalette::Midlight).name();
  for (int i = 0; i < pieces.size(); ++i) {
    html += QStringLiteral("<span style=\"background-color: %1\"><sub>%2</sub>&nbsp;%3</span> ")
                .arg(chip)
                .arg(i)
                .arg(pieces[i].toHtmlEscaped());
  }
  tokens_->setText(html);
}

}  // namespace ce::ui
