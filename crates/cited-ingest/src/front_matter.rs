use serde_json::{Map, Value};

/// Splits YAML front matter (`---` … `---` at the very start) from the body.
/// Returns the metadata (empty when there is none) and the byte offset where the body starts.
pub(crate) fn split(text: &str) -> Result<(Map<String, Value>, usize), String> {
    let Some(rest) = text.strip_prefix("---") else {
        return Ok((Map::new(), 0));
    };
    let Some(rest) = rest
        .strip_prefix('\n')
        .or_else(|| rest.strip_prefix("\r\n"))
    else {
        return Ok((Map::new(), 0)); // a thematic break, not front matter
    };
    let header_start = text.len() - rest.len();
    let mut offset = header_start;
    for line in rest.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            let yaml = &text[header_start..offset];
            let body_start = offset + line.len();
            return Ok((parse_yaml(yaml)?, body_start));
        }
        offset += line.len();
    }
    Err("front matter starts with '---' but has no closing '---'".into())
}

/// Parses a YAML mapping into JSON values (dates stay strings).
pub(crate) fn parse_yaml(yaml: &str) -> Result<Map<String, Value>, String> {
    if yaml.trim().is_empty() {
        return Ok(Map::new());
    }
    let value: serde_yaml::Value = serde_yaml::from_str(yaml).map_err(|e| e.to_string())?;
    match serde_json::to_value(value).map_err(|e| e.to_string())? {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        other => Err(format!(
            "expected a mapping of fields, found {}",
            kind(&other)
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_front_matter() {
        let (meta, at) =
            split("---\nid: \"X 1\"\nversion: 2\ntags: [a, b]\n---\n# Title\n").expect("parse");
        assert_eq!(meta["id"], "X 1");
        assert_eq!(meta["version"], 2);
        assert_eq!(meta["tags"][1], "b");
        assert_eq!(
            &"---\nid: \"X 1\"\nversion: 2\ntags: [a, b]\n---\n# Title\n"[at..],
            "# Title\n"
        );
    }

    #[test]
    fn no_front_matter() {
        assert_eq!(split("# Title").expect("parse").1, 0);
        assert_eq!(split("---- \ntext").expect("parse").1, 0);
    }

    #[test]
    fn broken_front_matter_is_an_error() {
        assert!(split("---\nid: [unclosed\n---\nbody").is_err());
        assert!(split("---\nid: x\nbody without end").is_err());
        assert!(split("---\n- a\n- b\n---\nbody").is_err());
    }
}
