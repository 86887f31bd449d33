#include "json.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cascade/error.hpp"

namespace cascade::cli {

namespace {

struct Parser {
  const std::string& s;
  const std::string& name;
  std::size_t i = 0;

  [[noreturn]] void fail(const std::string& what) const {
    std::size_t line = 1;
    for (std::size_t k = 0; k < i && k < s.size(); ++k) line += s[k] == '\n';
    throw Error(name + ":" + std::to_string(line) + ": " + what);
  }
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  }
  bool eat(char c) {
    ws();
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  std::string str() {
    if (!eat('"')) fail("expected a string");
    std::string out;
    while (i < s.size() && s[i] != '"') {
      char c = s[i++];
      if (c == '\\') {
        if (i >= s.size()) fail("unterminated string");
        const char e = s[i++];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'u': {
            if (i + 4 > s.size()) fail("bad \\u escape");
            const unsigned v = static_cast<unsigned>(std::strtoul(s.substr(i, 4).c_str(), nullptr, 16));
            i += 4;
            if (v < 0x80) out += static_cast<char>(v);
            else if (v < 0x800) {
              out += static_cast<char>(0xc0 | (v >> 6));
              out += static_cast<char>(0x80 | (v & 0x3f));
            } else {
              out += static_cast<char>(0xe0 | (v >> 12));
              out += static_cast<char>(0x80 | ((v >> 6) & 0x3f));
              out += static_cast<char>(0x80 | (v & 0x3f));
            }
            break;
          }
          default: fail(std::string("bad escape \\") + e);
        }
      } else {
        out += c;
      }
    }
    if (i >= s.size()) fail("unterminated string");
    ++i;
    return out;
  }
  Json value(int depth) {
    if (depth > 64) fail("nesting deeper than 64 levels");
    ws();
    if (i >= s.size()) fail("unexpected end of file");
    Json j;
    const char c = s[i];
    if (c == '{') {
      ++i;
      j.type = Json::Type::kObject;
      if (eat('}')) return j;
      do {
        ws();
        std::string k = str();
        if (!eat(':')) fail("expected ':' after \"" + k + "\"");
        j.object.push_back(JsonMember{std::move(k), value(depth + 1)});
      } while (eat(','));
      if (!eat('}')) fail("expected ',' or '}'");
    } else if (c == '[') {
      ++i;
      j.type = Json::Type::kArray;
      if (eat(']')) return j;
      do j.array.push_back(value(depth + 1));
      while (eat(','));
      if (!eat(']')) fail("expected ',' or ']'");
    } else if (c == '"') {
      j.type = Json::Type::kString;
      j.string = str();
    } else if (s.compare(i, 4, "true") == 0) {
      i += 4;
      j.type = Json::Type::kBool;
      j.boolean = true;
    } else if (s.compare(i, 5, "false") == 0) {
      i += 5;
      j.type = Json::Type::kBool;
    } else if (s.compare(i, 4, "null") == 0) {
      i += 4;
    } else {
      const char* start = s.c_str() + i;
      char* end = nullptr;
      errno = 0;
      j.number = std::strtod(start, &end);
      if (end == start) fail("expected a value");
      if (errno == ERANGE) fail("number out of range");
      j.type = Json::Type::kNumber;
      i += static_cast<std::size_t>(end - start);
    }
    return j;
  }
};

}  // namespace

const char* json_type_name(Json::Type t) {
  switch (t) {
    case Json::Type::kNull: return "null";
    case Json::Type::kBool: return "a boolean";
    case Json::Type::kNumber: return "a number";
    case Json::Type::kString: return "a string";
    case Json::Type::kArray: return "an array";
    default: return "an object";
  }
}

const Json* Json::find(const std::string& key) const {
  for (const auto& [k, v] : object)
    if (k == key) return &v;
  return nullptr;
}

const Json& Json::at(const std::string& key, Type want, const std::string& where) const {
  const Json* j = find(key);
  if (!j) throw Error(where + ": missing \"" + key + "\" (" + json_type_name(want) + ")");
  if (j->type != want)
    throw Error(where + ": \"" + key + "\" must be " + json_type_name(want) + ", not " + json_type_name(j->type));
  return *j;
}

Json parse_json(const std::string& text, const std::string& name) {
  Parser p{text, name};
  Json j = p.value(0);
  p.ws();
  if (p.i != text.size()) p.fail("unexpected text after the JSON value");
  return j;
}

Json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_json(ss.str(), path);
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o += c;
        }
    }
  }
  return o;
}

std::string json_string_or_null(const std::string& s) {
  if (s.empty()) return "null";
  std::string out(1, '"');
  out += json_escape(s);
  out += '"';
  return out;
}

std::string json_number(double v) {
  if (!(v == v) || v == 1.0 / 0.0 || v == -1.0 / 0.0) return "null";
  char buf[40];
  for (int p = 15; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

}  // namespace cascade::cli
