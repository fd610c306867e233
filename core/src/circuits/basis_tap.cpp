#include "circuits/basis_tap.h"

#include <utility>

#include "ce/core/base/error.h"
#include "dictionaries/dictionary_ops.h"

namespace ce::core {

BasisTap::BasisTap(const LlamaModel& engine, Basis basis, std::shared_ptr<const DictionarySet> dicts)
    : engine_(engine), basis_(basis) {
  if (basis != Basis::Features) {
    features_ = basis_width(basis, engine.config());
    return;
  }
  if (!dicts) throw Error("the feature basis needs its dictionaries (sae:PATH)");
  dicts_ = std::move(dicts);
  features_ = dicts_->d_sae();
  // splice_hook checks the fit too, but only when a forward is about to run: check here, once, so that a
  // mismatched set fails before any work.
  for (int l : dicts_->layers()) splice_hook(*dicts_->at(l), engine_);
}

bool BasisTap::has_layer(int layer) const {
  if (!dicts_) return layer >= 0 && layer < engine_.config().num_hidden_layers;
  return dicts_->at(layer) != nullptr;
}

namespace {

// `before` then `inner` at every site.
HookFn after(HookFn before, HookFn inner) {
  if (!before) return inner;
  return [before = std::move(before), inner = std::move(inner)](Site s, int l, const torch::Tensor& x) {
    return inner(s, l, before(s, l, x));
  };
}

// One splice per dictionary of the set, chained; `on_layer(dict, state)` sees each splice's state.
HookFn chain_splices(const DictionarySet& dicts, const LlamaModel& engine,
                     const std::function<void(const Dictionary&, SpliceState&)>& on_layer) {
  HookFn hook;
  for (int l : dicts.layers()) {
    const Dictionary& dict = *dicts.at(l);
    SpliceOptions o;
    o.on_splice = [&dict, on_layer](SpliceState& st) { on_layer(dict, st); };
    hook = splice_hook(dict, engine, std::move(o), std::move(hook));
  }
  return hook;
}

}  // namespace

HookFn BasisTap::edit(NodeFn fn, HookFn before) const {
  if (!dicts_) {
    const Site site = site_of(basis_);
    return after(std::move(before), [site, fn = std::move(fn)](Site s, int l, const torch::Tensor& x) {
      if (s != site) return x;
      LayerNodes n{l, x, torch::Tensor()};
      fn(n);
      return n.act;
    });
  }
  HookFn splices = chain_splices(*dicts_, engine_, [fn = std::move(fn)](const Dictionary&, SpliceState& st) {
    LayerNodes n{st.layer, st.features, st.error};
    fn(n);
    st.features = n.act;
    st.error = n.error;
  });
  return after(std::move(before), std::move(splices));
}

HookFn BasisTap::gradient(NodeFn fn, HookFn before) const {
  if (!dicts_) return edit(std::move(fn), std::move(before));
  HookFn splices = chain_splices(*dicts_, engine_, [fn = std::move(fn)](const Dictionary& dict, SpliceState& st) {
    const torch::Tensor f = st.features;  // [b, t, F] from the site, in the graph
    const torch::Tensor e = st.error;     // [b, t, d] float64, in the graph
    torch::Tensor f_leaf = f.detach().requires_grad_(true);
    torch::Tensor e_leaf = e.detach().requires_grad_(true);
    const torch::Tensor r = dictionary_decode(dict, f).to(torch::kFloat64);  // [b, t, d] in the graph
    // The site becomes decode(f_leaf) + e + (r - r) + (e_leaf - e_leaf): the same values, bit for bit; the
    // leaves get the site's gradient (through the decoder for f_leaf); and the earlier layers get it through
    // e + r = the site's own value, as in the plain model.
    st.features = f_leaf;
    st.error = e + (r - r.detach()) + (e_leaf - e_leaf.detach());
    LayerNodes n{st.layer, f_leaf, e_leaf};
    fn(n);
  });
  return after(std::move(before), std::move(splices));
}

torch::Tensor BasisTap::dense(const torch::Tensor& act_part, const torch::Tensor& error_part) const {
  if (!dicts_) return act_part.to(torch::kFloat32);
  return torch::cat({act_part.to(torch::kFloat32), error_part.to(torch::kFloat32)}, -1);  // [b, t, F + 1]
}

torch::Tensor BasisTap::error_norm(const torch::Tensor& error) {
  return error.norm(2, -1, /*keepdim=*/true).to(torch::kFloat32);  // [b, t, 1]
}

}  // namespace ce::core
