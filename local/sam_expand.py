#!/usr/bin/env python3
"""Prints template.yaml with its Fn::ForEach loops expanded by SAM CLI's own loop processor
(the one `sam build` and `sam validate` run for AWS::LanguageExtensions), as JSON with
intrinsics in their long form: the reference that local/tests/template_for_each.rs
compares gymit-local's expansion with.

Only the loops: `sam build` then also resolves what it can of the other intrinsics for
its own use (a `!Sub "${X}"` becomes the text `${X}`), which CloudFormation does not do
and nothing deployed sees (the template sam deploys keeps the loops for CloudFormation).

Usage: .venv/bin/python local/sam_expand.py [template.yaml]
"""

import json
import sys

from samcli.lib.cfn_language_extensions.api import create_default_intrinsic_resolver
from samcli.lib.cfn_language_extensions.models import ResolutionMode, TemplateProcessingContext
from samcli.lib.cfn_language_extensions.processors.foreach import ForEachProcessor
from samcli.lib.cfn_language_extensions.processors.parsing import TemplateParsingProcessor
from samcli.yamlhelper import yaml_parse


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "template.yaml"
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    context = TemplateProcessingContext(
        fragment=template, parameter_values={}, resolution_mode=ResolutionMode.PARTIAL
    )
    TemplateParsingProcessor().process_template(context)
    ForEachProcessor(create_default_intrinsic_resolver(context)).process_template(context)
    json.dump(context.fragment, sys.stdout, indent=1, sort_keys=True, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
