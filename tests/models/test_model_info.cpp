// The models as `cascade models` describes them: the table covers exactly the
// models' own parameters (names, defaults, tunability come from the models),
// and the reference's class names make the same models.
#include <gtest/gtest.h>

#include "cascade/cascade.hpp"
#include "test_util.hpp"

using namespace cascade;

TEST(ModelInfo, DescribesEveryParameterOfEveryModel) {
  const std::vector<ModelInfo> infos = model_infos();
  ASSERT_EQ(infos.size(), model_names().size());
  for (const ModelInfo& m : infos) {
    const std::vector<ParamValue> own = list_params(make_model(m.name));
    ASSERT_EQ(m.params.size(), own.size()) << m.name;
    for (std::size_t k = 0; k < own.size(); ++k) {
      EXPECT_EQ(m.params[k].name, own[k].name) << m.name;
      EXPECT_EQ(m.params[k].default_value, own[k].value) << m.name << "." << own[k].name;
      EXPECT_EQ(m.params[k].tunable, own[k].tunable) << m.name << "." << own[k].name;
      EXPECT_FALSE(m.params[k].meaning.empty()) << m.name << "." << own[k].name;
    }
    EXPECT_FALSE(m.default_scale.empty()) << m.name;
    // The class name makes the same model.
    EXPECT_EQ(model_name(make_model(m.class_name)), m.name);
  }
  EXPECT_ERROR_HAS(make_model("bernoulliglm"), "or the class names BernoulliGLM, PoissonGLM");
}
