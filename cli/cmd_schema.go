package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/ssisha/ssisha/steps/answers"
)

func (a *app) schemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the answer file",
		Long: `schema prints the JSON Schema (draft 2020-12) of the answer file: every key with its
description, the allowed values, the patterns and the defaults. It is published as
docs/answers.schema.json, and answer files ssisha writes name it in their first line
(# yaml-language-server: $schema=...), so VS Code with the YAML extension, and other
editors, complete and check them as you type. validate --offline checks the same rules
and those across fields that a schema cannot state.`,
		Args: a.noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := a.out.Write(answers.Schema())
			return err
		},
	}
}

func (a *app) manCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "man --dir DIR",
		Short: "Write the manual pages, one per command, to a directory",
		Long: `man writes a section 1 manual page for ssisha and for each of its commands into DIR
(ssisha.1, ssisha-apply.1, ...). The release build runs it and ships the pages in the
packages.`,
		Args: a.noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return invalid("man needs --dir DIR: where to write the pages")
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return invalidErr(fmt.Errorf("creating %s: %w", dir, err))
			}
			header := &doc.GenManHeader{Title: "SSISHA", Section: "1", Source: "ssisha " + a.build.Version, Manual: "ssisha manual"}
			root := cmd.Root()
			root.DisableAutoGenTag = true
			if err := doc.GenManTree(root, header, dir); err != nil {
				return failed(fmt.Errorf("writing the manual pages to %s: %w", dir, err))
			}
			fmt.Fprintf(a.out, "Manual pages written to %s\n", dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory to write the pages to (created if missing)")
	return cmd
}
